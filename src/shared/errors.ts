/**
 * Cairn's error types. Each carries a stable string `code`: errors are read back from the
 * store and more than one copy of the package may be loaded, so `CairnError.is(err, code)`
 * checks the code and a `Symbol.for` marker instead of relying on `instanceof` alone.
 */

const MARKER = Symbol.for("cairn.error");

/** Every stable error code Cairn raises, in one place. */
export const ErrorCode = {
  Internal: "CAIRN_INTERNAL",
  NonRetriable: "CAIRN_NON_RETRIABLE",
  RetryAfter: "CAIRN_RETRY_AFTER",
  Config: "CAIRN_CONFIG",
  InvalidInput: "CAIRN_INVALID_INPUT",
  UnknownWorkflow: "CAIRN_UNKNOWN_WORKFLOW",
  /** A run started on a version of its workflow (set by its author) that this code does not have. */
  UnknownVersion: "CAIRN_UNKNOWN_VERSION",
  RunNotFound: "CAIRN_RUN_NOT_FOUND",
  StepNotFound: "CAIRN_STEP_NOT_FOUND",
  Unserializable: "CAIRN_UNSERIALIZABLE",
  PayloadTooLarge: "CAIRN_PAYLOAD_TOO_LARGE",
  CorruptPayload: "CAIRN_CORRUPT_PAYLOAD",
  NonDeterminism: "CAIRN_NON_DETERMINISM",
  LeaseLost: "CAIRN_LEASE_LOST",
  StepTimeout: "CAIRN_STEP_TIMEOUT",
  ChildRunFailed: "CAIRN_CHILD_RUN_FAILED",
  RunCancelled: "CAIRN_RUN_CANCELLED",
  Conflict: "CAIRN_CONFLICT",
  Store: "CAIRN_STORE",
  AgentLimit: "CAIRN_AGENT_LIMIT",
  Forbidden: "CAIRN_FORBIDDEN",
  ApprovalExpired: "CAIRN_APPROVAL_EXPIRED",
  /** No such thing in this workspace (an approval, a session, an API key, a route). */
  NotFound: "CAIRN_NOT_FOUND",
  /** A request without a valid API key. */
  Unauthorized: "CAIRN_UNAUTHORIZED",
  RateLimited: "CAIRN_RATE_LIMITED",
  /** A wait for a run's result ran out of time; the run goes on. */
  WaitTimeout: "CAIRN_WAIT_TIMEOUT",
  /** The vault's master key is missing, malformed, or not the one the secrets were sealed with. */
  VaultKey: "CAIRN_VAULT_KEY",
  /** No such secret for this workspace (and user). */
  SecretNotFound: "CAIRN_SECRET_NOT_FOUND",
  /** A credential could not be had (e.g. an OAuth refresh was refused): a person must reconnect it. */
  CredentialUnavailable: "CAIRN_CREDENTIAL_UNAVAILABLE",
  /** A tool policy refused a tool call. */
  ToolDenied: "CAIRN_TOOL_DENIED",
  /** An MCP server could not be reached, or its tools changed under a run. */
  McpServer: "CAIRN_MCP_SERVER",
  /** bubblewrap is missing or cannot create namespaces here: commands are never run on the host instead. */
  SandboxUnavailable: "CAIRN_SANDBOX_UNAVAILABLE",
  /** A file tool was given a path that leads outside the run's workspace (or writes to /skills). */
  OutsideWorkspace: "CAIRN_OUTSIDE_WORKSPACE",
  /** A run's workspace grew past its limits (files or bytes): the step's changes are dropped. */
  WorkspaceLimit: "CAIRN_WORKSPACE_LIMIT",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CairnErrorOptions {
  cause?: unknown;
}

export class CairnError extends Error {
  readonly code: string;
  /** False when retrying cannot help (bad input, a deterministic failure). */
  readonly retriable: boolean = true;
  readonly [MARKER] = true;

  constructor(code: string, message: string, options?: CairnErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = "CairnError";
  }

  /** True for any Cairn error (or only those with `code`), whichever copy of the package made it. */
  static is(value: unknown, code?: string): value is CairnError {
    if (typeof value !== "object" || value === null || !(MARKER in value)) return false;
    return code === undefined || (value as { code?: unknown }).code === code;
  }
}

/** Marks a failure that retrying cannot fix: the step (or run) fails at once. */
export class NonRetriableError extends CairnError {
  override readonly retriable = false;
  constructor(message: string, options?: CairnErrorOptions) {
    super(ErrorCode.NonRetriable, message, options);
    this.name = "NonRetriableError";
  }
}

/** Asks for a retry after `delay` (ms, a duration string or a Date), e.g. a 429 with Retry-After. */
export class RetryAfterError extends CairnError {
  readonly retryAfter: number | string | Date;
  constructor(message: string, retryAfter: number | string | Date, options?: CairnErrorOptions) {
    super(ErrorCode.RetryAfter, message, options);
    this.name = "RetryAfterError";
    this.retryAfter = retryAfter;
  }
}

/** A failure that is the caller's to fix: never retried. */
export class InputError extends CairnError {
  override readonly retriable = false;
  constructor(code: string, message: string, options?: CairnErrorOptions) {
    super(code, message, options);
    this.name = "InputError";
  }
}

export class ConfigError extends InputError {
  constructor(message: string, options?: CairnErrorOptions) {
    super(ErrorCode.Config, message, options);
    this.name = "ConfigError";
  }
}

export class NotFoundError extends InputError {
  constructor(
    code: typeof ErrorCode.RunNotFound | typeof ErrorCode.StepNotFound | typeof ErrorCode.UnknownWorkflow,
    message: string,
  ) {
    super(code, message);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends InputError {
  constructor(message: string) {
    super(ErrorCode.Conflict, message);
    this.name = "ConflictError";
  }
}

/** A value that cannot be stored as JSON (a function, a cycle, a Map, a BigInt…). */
export class UnserializableError extends InputError {
  constructor(message: string) {
    super(ErrorCode.Unserializable, message);
    this.name = "UnserializableError";
  }
}

export class PayloadTooLargeError extends InputError {
  constructor(message: string) {
    super(ErrorCode.PayloadTooLarge, message);
    this.name = "PayloadTooLargeError";
  }
}

/** A stored row that cannot be read back: it fails its own run and nothing else. */
export class CorruptPayloadError extends InputError {
  constructor(message: string, options?: CairnErrorOptions) {
    super(ErrorCode.CorruptPayload, message, options);
    this.name = "CorruptPayloadError";
  }
}

/** The journal of an in-flight run no longer matches the workflow's code. */
export class NonDeterminismError extends InputError {
  constructor(message: string) {
    super(ErrorCode.NonDeterminism, message);
    this.name = "NonDeterminismError";
  }
}

/** This worker no longer holds the run's lease: it must not write. */
export class LeaseLostError extends CairnError {
  /** True when the lease ended because the run was cancelled (not taken by another worker). */
  readonly cancelled: boolean;
  constructor(message: string, options: { cancelled?: boolean } = {}) {
    super(ErrorCode.LeaseLost, message);
    this.name = "LeaseLostError";
    this.cancelled = options.cancelled === true;
  }
}

export class StepTimeoutError extends CairnError {
  constructor(message: string) {
    super(ErrorCode.StepTimeout, message);
    this.name = "StepTimeoutError";
  }
}

export class StoreError extends CairnError {
  constructor(message: string, options?: CairnErrorOptions) {
    super(ErrorCode.Store, message, options);
    this.name = "StoreError";
  }
}
