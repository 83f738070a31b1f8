// Runs async tasks one at a time, in the order they were asked for: a sync round or an outbox
// delivery never overlaps another, whether a timer or a caller (flush, syncNow) started it.

export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Settles when every task asked for so far has. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
