/**
 * Holds commits back while a checkpoint or a snapshot copies the collections a slice at a time
 * (store.ts, persist.ts captureInSlices): the copy is then one state, the one at its operation,
 * while reads and /health are answered between its slices.
 */
export class WriteGate {
  private held: Promise<void> | undefined;

  /** A copy holds writes back now. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Resolves when no copy holds writes back (commit's start, only while holding: see there). */
  async pass(): Promise<void> {
    while (this.held) await this.held;
  }

  /**
   * Once `settled()` (every committed change applied) and no other copy holds the gate, holds it
   * until the returned release(). Polled on a timer, not a busy turn of the loop.
   */
  async hold(settled: () => boolean): Promise<() => void> {
    for (;;) {
      while (!settled()) await new Promise((r) => setTimeout(r, 5));
      if (!this.held) break;
      await this.held;
    }
    let done!: () => void;
    this.held = new Promise<void>((r) => {
      done = r;
    });
    return () => {
      this.held = undefined;
      done();
    };
  }
}
