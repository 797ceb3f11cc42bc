import type { Engine } from "../engine/engine.js";
import { ErrorCode, InputError, NotFoundError } from "../shared/errors.js";
import type { ApprovalRecord } from "../store/records.js";
import type { Agent } from "./agent.js";

/** What an approver is shown for a gated tool call (the approval's `request`). */
export interface ToolApprovalRequest {
  agent: string;
  tool: string;
  args: unknown;
  /** The agent's last message before the call: why it wants to make it. */
  message: string;
  session: string | null;
  user: string;
}

export function isToolApprovalRequest(value: unknown): value is ToolApprovalRequest {
  const v = value as Partial<ToolApprovalRequest> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    typeof v.agent === "string" &&
    typeof v.tool === "string" &&
    "args" in v
  );
}

export interface DecisionInput {
  approve: boolean;
  /** Who decides. */
  by: string;
  reason?: string;
  /** Changed arguments for a tool call; validated against the tool's schema. */
  args?: unknown;
}

/**
 * The one place approvals are decided: the CLI, `cairn run` at a terminal, the API and the
 * dashboard all call this. Edited arguments are checked against the tool's input schema before
 * anything is recorded; the engine then applies the decision once (see Engine.decide).
 */
export async function decideApproval(
  engine: Engine,
  agents: ReadonlyMap<string, Agent>,
  approvalId: string,
  input: DecisionInput,
): Promise<ApprovalRecord> {
  const approval = await engine.journal.getApproval(engine.workspace, approvalId);
  if (approval === undefined) {
    throw new NotFoundError(
      ErrorCode.StepNotFound,
      `no approval ${approvalId}; \`cairn approvals ls\` lists the pending ones`,
    );
  }
  let editedArgs: unknown;
  if (input.args !== undefined) {
    if (!input.approve)
      throw new InputError(ErrorCode.InvalidInput, "edited arguments go with an approval, not a rejection");
    const request = approval.request;
    if (!isToolApprovalRequest(request)) {
      throw new InputError(
        ErrorCode.InvalidInput,
        `approval ${approvalId} is not for a tool call; it takes no arguments`,
      );
    }
    const owner = agents.get(request.agent);
    const tool = owner?.options.tools?.[request.tool];
    if (tool === undefined && owner?.options.mcp?.length) {
      // An MCP tool's schema is the run's listing: the run checks the edited arguments against it.
      editedArgs = input.args;
    } else if (tool === undefined) {
      throw new InputError(
        ErrorCode.InvalidInput,
        `approval ${approvalId}: agent ${request.agent} has no tool ${request.tool} here; check the config`,
      );
    } else {
      const parsed = tool.input.safeParse(input.args);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .map((i) => `${i.path.join(".") || "args"}: ${i.message}`)
          .join("; ");
        throw new InputError(
          ErrorCode.InvalidInput,
          `the edited arguments for ${request.tool} are not valid: ${issues}`,
        );
      }
      editedArgs = parsed.data;
    }
  }
  return engine.decide(approvalId, {
    approve: input.approve,
    by: input.by,
    ...(input.reason !== undefined ? { reason: input.reason } : {}),
    ...(editedArgs !== undefined ? { editedArgs } : {}),
    ...(approval.argsHash !== null ? { expectArgsHash: approval.argsHash } : {}),
  });
}
