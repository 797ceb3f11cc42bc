import { CairnError, ErrorCode, NonDeterminismError } from "../shared/errors.js";
import type { RunRecord, StepKind, StepRecord } from "../store/records.js";
import type { Workflow } from "./workflow.js";

/** What a diverging run's error tells its reader to do. */
export const HOW_TO_SHIP =
  "The code changed under a run that had already passed this point: keep the old path for such runs " +
  'with step.patched("…"), give the new code a new workflow id or version, or check a change before ' +
  "deploying with cairn check-replay (see docs/versioning.md).";

/** Where a run's code and its journal part ways. */
export interface ReplayDivergencePoint {
  /** From 1. */
  position: number;
  stepId: string;
  /** What the journal holds there, e.g. `step "charge" (run)`. */
  expected: string;
  /** What the code does there now. */
  found: string;
}

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
  /** Where the code and the journal last parted ways, for `cairn check-replay` to show. */
  divergence: ReplayDivergencePoint | undefined;

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
    let seq = this.nextSeq++;
    let rec = this.bySeq.get(seq);
    // A patch marker the code no longer asks about (the patch was removed once every run had it).
    while (rec?.kind === "patch" && (rec.stepId !== id || kind !== "patch")) {
      this.visited.add(seq);
      seq = this.nextSeq++;
      rec = this.bySeq.get(seq);
    }
    if (rec && (rec.stepId !== id || rec.kind !== kind)) {
      this.divergence = {
        position: seq + 1,
        stepId: rec.stepId,
        expected: `step "${rec.stepId}" (${rec.kind})`,
        found: `step "${id}" (${kind})`,
      };
      throw this.mismatch(
        `at position ${seq + 1} the journal has step "${rec.stepId}" (${rec.kind}) but the code now calls "${id}" (${kind})`,
      );
    }
    if (!rec && this.byId.has(id)) {
      const other = this.byId.get(id)!;
      this.divergence = {
        position: seq + 1,
        stepId: id,
        expected: `step "${id}" at position ${other.seq + 1}`,
        found: `step "${id}" at position ${seq + 1}`,
      };
      throw this.mismatch(
        `the journal has step "${id}" at position ${other.seq + 1} but the code now calls it at position ${seq + 1}`,
      );
    }
    this.visited.add(seq);
    return { seq, rec };
  }

  /**
   * The journal's record where step `id` would be placed next (past patch markers of other
   * patches, as `place` goes), without placing it.
   */
  peek(id: string): StepRecord | undefined {
    let seq = this.nextSeq;
    let rec = this.bySeq.get(seq);
    while (rec?.kind === "patch" && rec.stepId !== id) rec = this.bySeq.get(++seq);
    return rec;
  }

  /** The error for a journaled step the handler returned without calling, if there is one. */
  skipped(): NonDeterminismError | undefined {
    const missing = [...this.bySeq.values()].find((r) => !this.visited.has(r.seq) && r.kind !== "patch");
    if (!missing) return undefined;
    this.divergence = {
      position: missing.seq + 1,
      stepId: missing.stepId,
      expected: `step "${missing.stepId}" (${missing.kind})`,
      found: "the workflow returns without calling it",
    };
    return new NonDeterminismError(
      `run ${this.run.id}: the journal has step "${missing.stepId}" at position ${missing.seq + 1}, but the workflow ` +
        `"${this.workflow.id}" now returns without calling it. ${HOW_TO_SHIP}`,
    );
  }

  private mismatch(detail: string): NonDeterminismError {
    return new NonDeterminismError(
      `run ${this.run.id} of workflow "${this.workflow.id}": ${detail}. ${HOW_TO_SHIP}`,
    );
  }
}
