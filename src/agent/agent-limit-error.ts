import { ErrorCode, InputError } from "../shared/errors.js";

/** Why a guardrail stopped an agent. */
export type AgentLimit =
  "max-turns" | "token-budget" | "cost-budget" | "tool-loop" | "invalid-tool-calls" | "depth";

/** A guardrail stopped the agent: the run fails with this reason, and is not retried. */
export class AgentLimitError extends InputError {
  readonly limit: AgentLimit;
  constructor(limit: AgentLimit, message: string) {
    super(ErrorCode.AgentLimit, `${limit}: ${message}`);
    this.name = "AgentLimitError";
    this.limit = limit;
  }
}
