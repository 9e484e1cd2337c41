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
   * Holds the gate as soon as no other copy holds it, then waits until `settled()` (every change
   * already committed applied) and returns release(). Taken first, not once settled: large upserts
   * are applied in slices one after another, so a client that kept two in flight kept the log from
   * ever settling, and the copy (a snapshot's, a checkpoint's) waited as long as the writes went on
   * (test/security/vectors-gate-starve). Writes that come meanwhile wait at pass(); those already
   * taken are applied. Polled on a timer, not a busy turn of the loop.
   */
  async hold(settled: () => boolean): Promise<() => void> {
    while (this.held) await this.held;
    let done!: () => void;
    this.held = new Promise<void>((r) => {
      done = r;
    });
    const release = () => {
      this.held = undefined;
      done();
    };
    try {
      while (!settled()) await new Promise((r) => setTimeout(r, 5));
    } catch (err) {
      release();
      throw err;
    }
    return release;
  }
}
