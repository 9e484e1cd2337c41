/**
 * Work tried again later until it succeeds: rag's recovery after a removal from vectors failed
 * (a delete's chunks, a failed ingest's rollback), not only at the next change or start.
 */
export class Retry {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly attempt: () => Promise<unknown>,
    private readonly ms: number,
  ) {}

  /** In `ms`, and again every `ms` while it fails; one attempt waits at a time. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.attempt().then(
        () => {
          this.timer = undefined;
        },
        () => {
          this.timer = undefined;
          this.schedule();
        },
      );
    }, this.ms);
    this.timer.unref();
  }
}
