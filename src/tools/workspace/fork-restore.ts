import type { ForkRestore } from "../../engine/fork.js";
import type { Journal } from "../../store/journal.js";
import { workspaceStoreOf } from "../../store/workspace-store-of.js";
import { forkWorkspace } from "./restore-workspace.js";

/**
 * The `restore` of a fork (see ForkOptions): gives the new run the original's workspace as it was
 * after the last step the fork reuses, the one before the fork step (so the files of that step and
 * later ones are not there). The original's workspace is not touched; a run that never used a
 * workspace gives the fork none. The CLI and the API pass it to every fork.
 *
 * @example
 * await engine.fork(runId, { from: "model#3", restore: workspaceForkRestore(engine.journal, engine.workspace) });
 */
export function workspaceForkRestore(journal: Journal, workspace: string): ForkRestore {
  return async ({ runId, forkedFrom }) => {
    const steps = await journal.loadSteps(workspace, forkedFrom.runId);
    const at = steps.findIndex((s) => s.stepId === forkedFrom.stepId);
    // An unknown step is left to the fork itself, which names the run's steps in its error.
    const reused = at > 0 ? steps[at - 1] : undefined;
    if (reused === undefined) return;
    await forkWorkspace(journal, workspace, forkedFrom.runId, runId, reused.stepId);
    return async () => {
      await workspaceStoreOf(journal).dropPinsOfMissingRun(workspace, runId);
    };
  };
}
