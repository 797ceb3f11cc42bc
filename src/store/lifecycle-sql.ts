import { ErrorCode, InputError, NotFoundError } from "../shared/errors.js";
import type { RunRow } from "./sqlite/rows.js";

/**
 * SQL and checks that forks, deletion and garbage collection share between the two stores, with
 * their placeholders (`?` or `$n`) filled in by each.
 */

/** The tables a run's rows live in, besides `runs` itself, keyed by (workspace, run_id). */
export const RUN_TABLES = ["steps", "step_attempts", "waits", "entries", "approvals"] as const;

/** Copies the ended steps of a run before a seq into another run: rows only, blobs shared. */
export function copyStepsSql(p: (n: number) => string): string {
  return `INSERT INTO steps (workspace, run_id, step_id, seq, kind, status, attempt, output_json, output_blob,
      output_bytes, error_json, started_at, ended_at, retry_at, side_effect)
    SELECT workspace, CAST(${p(1)} AS TEXT), step_id, seq, kind, status, attempt, output_json, output_blob, output_bytes,
      error_json, started_at, ended_at, NULL, side_effect
    FROM steps WHERE workspace = ${p(2)} AND run_id = ${p(3)} AND seq < ${p(4)} AND status IN ('completed', 'failed')`;
}

/** Blobs stored before a time that no run input or output, step output or event refers to. */
export function unreferencedBlobsWhere(p: (n: number) => string): string {
  return `workspace = ${p(1)} AND created_at < ${p(2)} AND hash NOT IN (
      SELECT input_blob FROM runs WHERE workspace = ${p(1)} AND input_blob IS NOT NULL
      UNION SELECT output_blob FROM runs WHERE workspace = ${p(1)} AND output_blob IS NOT NULL
      UNION SELECT output_blob FROM steps WHERE workspace = ${p(1)} AND output_blob IS NOT NULL
      UNION SELECT data_blob FROM events WHERE workspace = ${p(1)} AND data_blob IS NOT NULL)`;
}

/** `names` as a WHERE clause on step_id: each name itself, or an occurrence of it (`name#2`). */
export function stepNamesWhere(names: readonly string[], p: (n: number) => string, from: number): string {
  return `(${names.map((_, i) => `s.step_id = ${p(from + 2 * i)} OR s.step_id LIKE ${p(from + 2 * i + 1)} ESCAPE '\\'`).join(" OR ")})`;
}

export function stepNamesArgs(names: readonly string[]): string[] {
  return names.flatMap((n) => [n, `${n.replace(/[\\%_]/g, (c) => `\\${c}`)}#%`]);
}

/** Checks a fork's outputs against the steps it copies and the fork step; throws naming the step. */
export function checkForkOutputs(
  runId: string,
  fromStep: string,
  copied: ReadonlySet<string>,
  outputs: Record<string, unknown>,
): void {
  for (const stepId of Object.keys(outputs)) {
    if (stepId !== fromStep && !copied.has(stepId))
      throw new InputError(
        ErrorCode.InvalidInput,
        `run ${runId} has no finished step "${stepId}" before "${fromStep}" whose output a fork could replace`,
      );
  }
}

export function forkSourceNotFound(ws: string, runId: string): NotFoundError {
  return new NotFoundError(ErrorCode.RunNotFound, `no run ${runId} in workspace ${ws}`);
}

export function forkStepNotFound(runId: string, stepId: string, known: string[]): NotFoundError {
  return new NotFoundError(
    ErrorCode.StepNotFound,
    `run ${runId} has no step "${stepId}" to fork from (its steps: ${known.length ? known.join(", ") : "none"})`,
  );
}

const ACTIVE_STATUSES = new Set(["queued", "running", "waiting", "needs-attention"]);

/** The statuses of a run that has not ended, as an SQL list for `status IN …` (both stores). */
export const ACTIVE_SQL = `(${[...ACTIVE_STATUSES].map((s) => `'${s}'`).join(", ")})`;

/** A run that has not ended blocks its deletion, with a message saying what to do. */
export function activeRunProblem(rows: RunRow[], requested: string): string | undefined {
  const active = rows.find((r) => ACTIVE_STATUSES.has(r.status));
  if (active === undefined) return undefined;
  const which =
    active.id === requested
      ? `run ${requested} is ${active.status}`
      : `its child run ${active.id} is ${active.status}`;
  return `${which}; only ended runs can be deleted: cancel it first (cairn runs cancel ${active.id})`;
}
