/**
 * Iterates `source` while already fetching its next item, so the provider's network time
 * overlaps our planning of the previous page. At most `depth` items are held ahead (memory stays
 * bounded), and an error surfaces when its item would have been read.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth = 1): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  const pull = () => {
    const next = iterator.next();
    next.catch(() => undefined); // observed later, when its turn comes
    queue.push(next);
  };
  try {
    pull();
    for (;;) {
      const head = queue.shift()!;
      const result = await head;
      if (result.done) return;
      while (queue.length < depth) pull();
      yield result.value;
    }
  } finally {
    await Promise.allSettled(queue);
    await iterator.return?.();
  }
}
