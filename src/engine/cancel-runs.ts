import type { Journal } from "../store/journal.js";
import type { RunStatus } from "../store/records.js";
import type { ProgressListener } from "./progress.js";

/**
 * Cancels a run and its children (see Journal.requestCancel), and reports `run.ended` for those
 * it ended here and now: runs nobody was executing (queued, waiting, paused for a person). A
 * running run is ended by its worker at its next step, and reported there, so no run is reported
 * twice and listeners in this process (traces, progress) hear of every run it ended.
 */
export async function cancelRuns(
  journal: Journal,
  workspace: string,
  runId: string,
  reason: string,
  emit: ProgressListener,
): Promise<RunStatus> {
  const idle = await idleTree(journal, workspace, runId);
  const status = await journal.requestCancel(workspace, runId, reason);
  for (const id of idle) {
    const after = await journal.getRunSummary(workspace, id);
    if (after?.status === "cancelled") emit({ type: "run.ended", runId: id, status: "cancelled" });
  }
  return status;
}

/** The run and its descendants that have not ended and that no worker is executing. */
async function idleTree(journal: Journal, workspace: string, runId: string): Promise<string[]> {
  const root = await journal.getRunSummary(workspace, runId);
  if (root === undefined) return [];
  const idle: string[] = [];
  const queue = [root];
  for (let run = queue.shift(); run !== undefined; run = queue.shift()) {
    if (run.status === "queued" || run.status === "waiting" || run.status === "needs-attention")
      idle.push(run.id);
    queue.push(...(await journal.listRuns(workspace, { parentRunId: run.id, active: true, limit: 10_000 })));
  }
  return idle;
}
