import type { CairnError } from "../shared/errors.js";

/**
 * What a following command says while the store does not answer: once when it stops answering
 * (the run is safe in the store and goes on being retried), once when it answers again.
 */
export class StoreOutage {
  private down = false;

  constructor(
    private readonly runId: string,
    private readonly write: (line: string) => void = (line) => console.error(line),
  ) {}

  failed(err: CairnError, retryMs: number): void {
    if (this.down) return;
    this.down = true;
    this.write(
      `cairn: the store does not answer (${err.message}); run ${this.runId} is safe in it: ` +
        `trying again every ${Math.round(retryMs / 1000) || 1}s or so (Ctrl-C stops following; the run goes on)`,
    );
  }

  answered(): void {
    if (!this.down) return;
    this.down = false;
    this.write("cairn: the store answers again");
  }
}
