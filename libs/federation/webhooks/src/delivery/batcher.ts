/**
 * Gathers the calls made within one turn of the event loop and serves them
 * with one `run` (a DataLoader in miniature): a burst of deliveries then costs
 * one database round trip instead of one each. `run` answers in the order
 * of its inputs. When a batch fails, each of its calls is run again on its
 * own, so that one bad input (a row deleted meanwhile) fails only its own
 * call; `run` must therefore be atomic (one statement), so that a failed
 * batch left nothing behind.
 */
export class Batcher<In, Out> {
  private pending: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly max = 100,
  ) {}

  /** Queues one call; it runs with the others of this turn (at most `max` together). */
  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
      else if (this.pending.length >= this.max) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.run(batch.map((b) => b.input)).then(
      (outs) => batch.forEach((b, i) => b.resolve(outs[i])),
      (error: unknown) => {
        if (batch.length === 1) return batch[0].reject(error);
        for (const b of batch) this.run([b.input]).then(([out]) => b.resolve(out), b.reject);
      },
    );
  }
}
