import type { Journal } from "../../store/journal.js";
import { workspaceStoreOf } from "../../store/workspace-store-of.js";
import { materialize } from "./materialize.js";
import { EMPTY_TREE } from "./tree-objects.js";

/**
 * Writes a run's workspace as it was once step `stepId` had committed (the newest snapshot of
 * that step or an earlier one; empty when none had touched it) into `dir`, replacing whatever
 * `dir` held. For reruns from a step (fork) and for looking at a run's files after the fact.
 * Throws NotFoundError when the run has no such step.
 *
 * @example
 * await restoreWorkspace(journal, "default", "run_123", "tool.exec#2", "/tmp/as-of-step");
 */
export async function restoreWorkspace(
  journal: Journal,
  workspace: string,
  runId: string,
  stepId: string,
  dir: string,
): Promise<{ root: string; files: number; bytes: number }> {
  const store = workspaceStoreOf(journal);
  const pin = await store.latestPin(workspace, runId, "files", stepId);
  const root = pin?.root ?? EMPTY_TREE.hash;
  const written = await materialize({ store, workspace, root, dir });
  return { root, ...written };
}

/**
 * Gives `toRunId` (a fork of `fromRunId` that keeps its steps up to `throughStepId`) the same
 * workspace history: the fork's first workspace tool call finds the files as they were after
 * that step, on any machine. Call it when creating the fork, before it runs. Returns the number
 * of snapshots (and skill versions) carried over.
 */
export function forkWorkspace(
  journal: Journal,
  workspace: string,
  fromRunId: string,
  toRunId: string,
  throughStepId: string,
): Promise<number> {
  return workspaceStoreOf(journal).copyPins(workspace, fromRunId, toRunId, throughStepId);
}
