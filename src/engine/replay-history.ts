import { CairnError, ErrorCode, NonDeterminismError } from "../shared/errors.js";
import type { RunRecord, StepKind, StepRecord } from "../store/records.js";
import type { Workflow } from "./workflow.js";

/**
 * The journal's record of a run's steps, by position, and the handler's calls checked against it:
 * a replayed call must be the same step, of the same kind, at the same position.
 */
export class ReplayHistory {
  private readonly bySeq = new Map<number, StepRecord>();
  private readonly byId = new Map<string, StepRecord>();
  private readonly visited = new Set<number>();
  private readonly occurrences = new Map<string, number>();
  private nextSeq = 0;

  constructor(
    private readonly run: RunRecord,
    private readonly workflow: Workflow,
    history: StepRecord[],
  ) {
    for (const rec of history) {
      this.bySeq.set(rec.seq, rec);
      this.byId.set(rec.stepId, rec);
    }
  }

  stepId(name: string): string {
    if (typeof name !== "string" || name === "") {
      throw new CairnError(ErrorCode.InvalidInput, `run ${this.run.id}: every step needs a non-empty name`);
    }
    const n = (this.occurrences.get(name) ?? 0) + 1;
    this.occurrences.set(name, n);
    return n === 1 ? name : `${name}#${n}`;
  }

  /**
   * Places a step call at its position and checks it against the journal; throws a
   * NonDeterminismError when the code no longer matches it.
   */
  place(id: string, kind: StepKind): { seq: number; rec: StepRecord | undefined } {
    const seq = this.nextSeq++;
    const rec = this.bySeq.get(seq);
    if (rec && (rec.stepId !== id || rec.kind !== kind)) {
      throw this.mismatch(
        `at position ${seq + 1} the journal has step "${rec.stepId}" (${rec.kind}) but the code now calls "${id}" (${kind})`,
      );
    }
    if (!rec && this.byId.has(id)) {
      const other = this.byId.get(id)!;
      throw this.mismatch(
        `the journal has step "${id}" at position ${other.seq + 1} but the code now calls it at position ${seq + 1}`,
      );
    }
    this.visited.add(seq);
    return { seq, rec };
  }

  /** The error for a journaled step the handler returned without calling, if there is one. */
  skipped(): NonDeterminismError | undefined {
    const missing = [...this.bySeq.values()].find((r) => !this.visited.has(r.seq));
    if (!missing) return undefined;
    return new NonDeterminismError(
      `run ${this.run.id}: the journal has step "${missing.stepId}" at position ${missing.seq + 1}, but the workflow ` +
        `"${this.workflow.id}" now returns without calling it. The code changed under an in-flight run; ` +
        `deploy changes under a new workflow id (see docs/versioning.md).`,
    );
  }

  private mismatch(detail: string): NonDeterminismError {
    return new NonDeterminismError(
      `run ${this.run.id} of workflow "${this.workflow.id}": ${detail}. The code changed under an in-flight run; ` +
        `deploy changes under a new workflow id (see docs/versioning.md).`,
    );
  }
}
