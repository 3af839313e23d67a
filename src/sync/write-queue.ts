/**
 * A run's page writes, one after another, each started without waiting for it: the caller goes
 * on (fetching and planning the next page) while it commits. At most one write is in flight, so
 * memory holds one page being written and one being planned. A write's failure surfaces at the
 * next push, or at settled().
 */
export class WriteQueue {
  #last: Promise<void> = Promise.resolve();

  /** Waits for the write before (throwing its failure), then starts `write`. */
  async push(write: () => Promise<void>): Promise<void> {
    await this.#last;
    const next = write();
    next.catch(() => undefined); // observed at the next push or settled()
    this.#last = next;
  }

  /** Every write pushed has committed; throws the failure of one that did not. */
  settled(): Promise<void> {
    return this.#last;
  }

  /** The write in flight has ended, however: a run that failed records so only after it. */
  async idle(): Promise<void> {
    await this.#last.catch(() => undefined);
  }
}
