/**
 * What a connector's requests to one provider share: at most `limit` of them in flight, and one
 * pause for all after the provider asked to slow down. When a 429 (or a 503 with `Retry-After`)
 * says "come back in 2 s", every request of that connector waits those 2 s, not only the one
 * that was told: parallel page reads must not keep hammering a provider that is throttling us.
 *
 * The gate is per connector (one per run, so per integration and provider); the limit is the
 * provider's (see each connector's concurrency constant), never more than the caller asked for.
 */
export class RequestGate {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  /** Settles when every pause asked for so far is over. */
  #pause: Promise<unknown> = Promise.resolve();

  constructor(
    readonly limit: number,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>,
    /** The connector's own signal: a cancelled run ends its pauses. */
    private readonly signal?: AbortSignal,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a request gate needs a limit of at least 1 (got ${limit})`);
  }

  /** Requests in flight now (tests and progress). */
  get active(): number {
    return this.#active;
  }

  /**
   * Every request starting from now waits until `ms` from now, or until a pause already in force
   * ends if that is later: one wait (one sleep) a pause, however many requests it holds.
   */
  pause(ms: number): void {
    const wait = this.sleep(Math.max(0, ms), this.signal).catch(() => undefined);
    this.#pause = Promise.all([this.#pause, wait]);
  }

  /** Runs `fn` once a slot is free and no pause is in force; the slot is freed when it settles. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      // A pause asked for while this one waited holds it too.
      for (let pause; pause !== this.#pause; ) await (pause = this.#pause);
      return await fn();
    } finally {
      this.#release();
    }
  }

  async #acquire(signal?: AbortSignal): Promise<void> {
    if (this.#active < this.limit) {
      this.#active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason);
      };
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter, so `active` never dips below the limit between them.
    if (next) next();
    else this.#active -= 1;
  }
}
