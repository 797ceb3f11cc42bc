import { ErrorCode, NotFoundError } from "../shared/errors.js";
import type { Journal } from "../store/journal.js";
import type { ApprovalRecord } from "../store/records.js";

/**
 * Which approval a test decides: its id, or the run and the step that asked (`"approve.post"`, a
 * `waitForApproval` step's name); without a step, the run's one pending request.
 */
export type ApprovalTarget = string | { runId: string; step?: string };

export async function findApproval(
  journal: Journal,
  workspace: string,
  target: ApprovalTarget,
): Promise<ApprovalRecord> {
  if (typeof target === "string") {
    const found = await journal.getApproval(workspace, target);
    if (found === undefined)
      throw new NotFoundError(ErrorCode.StepNotFound, `no approval ${target} in this test environment`);
    return found;
  }
  const all = await journal.listApprovals(workspace, { runId: target.runId, limit: 10_000 });
  const pending = all
    .filter((a) => a.status === "pending")
    .sort((a, b) => a.createdAt - b.createdAt || (a.stepId < b.stepId ? -1 : 1));
  const { step } = target;
  const matches =
    step === undefined
      ? pending
      : [
          ...all.filter((a) => a.stepId === step),
          ...pending.filter((a) => a.stepId.replace(/#\d+$/, "") === step),
        ];
  // An exact step id wins; a name without `#n` means the oldest pending request of that name.
  if (matches.length > 0 && (step !== undefined || matches.length === 1)) return matches[0]!;
  const listing = pending.map((a) => `${a.stepId} (${a.id}: ${a.title})`).join(", ") || "none";
  throw new NotFoundError(
    ErrorCode.StepNotFound,
    step === undefined && pending.length > 1
      ? `run ${target.runId} has ${pending.length} pending approvals; name the step: ${listing}`
      : `run ${target.runId} has no ${step === undefined ? "pending approval" : `approval at step "${step}"`}; pending: ${listing}`,
  );
}
