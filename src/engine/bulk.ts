import { ConflictError, ErrorCode, InputError, CairnError } from "../shared/errors.js";
import type { RunFilter } from "../store/journal.js";
import type { RunStatus, RunSummary } from "../store/records.js";
import type { Engine } from "./engine.js";

export type BulkAction = "cancel" | "rerun" | "delete";

/** Which runs a bulk action takes: all of these that are given. */
export interface BulkFilter {
  status?: RunStatus;
  workflow?: string;
  /** Created at or after (ms). */
  createdAfter?: number;
  /** Created before (ms). */
  createdBefore?: number;
}

/** What an action would do: nothing is done until it is confirmed with `confirmWith`. */
export interface BulkPreview {
  matched: number;
  /** The first 100. */
  runIds: string[];
  confirmWith: number;
}

export interface BulkResult {
  matched: number;
  affected: number;
  /** The first 100 runs acted on (for rerun: the new runs). */
  runIds: string[];
}

/** Most runs one bulk action takes: past it, narrow the filter. */
export const BULK_LIMIT = 10_000;
const SHOWN = 100;

/**
 * The runs an action would take: cancel takes the runs that have not ended, delete those that
 * have, rerun any. Newest first.
 */
export async function matchRuns(
  engine: Engine,
  action: BulkAction,
  filter: BulkFilter,
): Promise<RunSummary[]> {
  const query: RunFilter = { ...filter, limit: BULK_LIMIT + 1 };
  if (action === "cancel") query.active = true;
  if (action === "delete") query.ended = true;
  const runs = await engine.journal.listRuns(engine.workspace, query);
  if (runs.length > BULK_LIMIT)
    throw new InputError(
      ErrorCode.InvalidInput,
      `more than ${BULK_LIMIT} runs match; narrow the filter (status, workflow, created after or before)`,
    );
  return runs;
}

/** How many runs the action would take, and which: nothing is done. */
export async function previewBulk(
  engine: Engine,
  action: BulkAction,
  filter: BulkFilter,
): Promise<BulkPreview> {
  const runs = await matchRuns(engine, action, filter);
  return { matched: runs.length, runIds: runs.slice(0, SHOWN).map((r) => r.id), confirmWith: runs.length };
}

/**
 * Does the action on every run the filter matches, once `confirm` equals how many match now:
 * otherwise (runs started or ended since the preview) nothing is done and a ConflictError says
 * how many match now. A run that moved on meanwhile (ended before its cancel, restarted before
 * its deletion) is skipped, not counted.
 */
export async function applyBulk(
  engine: Engine,
  action: BulkAction,
  filter: BulkFilter,
  confirm: number,
): Promise<BulkResult> {
  const runs = await matchRuns(engine, action, filter);
  if (confirm !== runs.length)
    throw new ConflictError(
      `${runs.length} runs match now, not ${confirm}: nothing was done; look again and confirm with ${runs.length}`,
    );
  const done: string[] = [];
  for (const run of runs) {
    const id = await act(engine, action, run);
    if (id !== undefined) done.push(id);
  }
  return { matched: runs.length, affected: done.length, runIds: done.slice(0, SHOWN) };
}

async function act(engine: Engine, action: BulkAction, run: RunSummary): Promise<string | undefined> {
  try {
    switch (action) {
      case "cancel": {
        const status = await engine.cancel(run.id, "cancelled in bulk");
        return status === "cancelled" || status === "running" ? run.id : undefined;
      }
      case "rerun": {
        const full = await engine.journal.getRun(engine.workspace, run.id);
        if (full === undefined) return undefined;
        return (await engine.start(run.workflow, full.input)).runId;
      }
      case "delete":
        await engine.journal.deleteRun(engine.workspace, run.id);
        return run.id;
    }
  } catch (err) {
    // Deleted with its parent, or no longer in a state the action takes: skipped.
    if (CairnError.is(err, ErrorCode.RunNotFound) || CairnError.is(err, ErrorCode.Conflict)) return undefined;
    throw err;
  }
}
