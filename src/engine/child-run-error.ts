import { CairnError, ErrorCode } from "../shared/errors.js";
import type { SerializedError } from "../shared/serialized-error.js";
import { deserializeError } from "../shared/serialized-error.js";

/** Thrown by `step.invoke` when the child run failed or was cancelled; `cause` is the child's error. */
export class ChildRunError extends CairnError {
  override readonly retriable = false;
  readonly childRunId: string;
  readonly childStatus: string;

  constructor(childRunId: string, childStatus: string, error: SerializedError | null) {
    super(
      childStatus === "cancelled" ? ErrorCode.RunCancelled : ErrorCode.ChildRunFailed,
      `child run ${childRunId} ${childStatus === "cancelled" ? "was cancelled" : "failed"}${error ? `: ${error.message}` : ""}`,
      error ? { cause: deserializeError(error) } : undefined,
    );
    this.name = "ChildRunError";
    this.childRunId = childRunId;
    this.childStatus = childStatus;
  }
}
