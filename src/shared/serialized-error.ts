import { CairnError, ErrorCode } from "./errors.js";
import { originalStack } from "./stack-sources.js";

/** An error as it is kept in the journal: plain JSON, enough to rebuild and to show. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  retriable?: boolean;
  stack?: string;
  cause?: SerializedError;
  /** Extra fields a subclass wants kept (a RetryAfterError's delay, a child run id). */
  data?: Record<string, unknown>;
}

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) {
    return { name: "Error", message: typeof err === "string" ? err : safeString(err) };
  }
  const out: SerializedError = { name: err.name, message: err.message };
  if (err.stack !== undefined) out.stack = originalStack(err.stack);
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") out.code = code;
  if (CairnError.is(err)) out.retriable = err.retriable;
  if (err.cause !== undefined && depth < 4) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** Rebuilds a thrown error from its stored form; a Cairn code is kept so `CairnError.is` works. */
export function deserializeError(s: SerializedError): Error {
  const cause = s.cause === undefined ? undefined : deserializeError(s.cause);
  const err: Error =
    s.code !== undefined && s.code.startsWith("CAIRN_")
      ? new StoredCairnError(s.code, s.message, s.retriable ?? true, cause)
      : new Error(s.message, cause === undefined ? undefined : { cause });
  err.name = s.name;
  if (s.stack !== undefined) err.stack = s.stack;
  if (s.code !== undefined && !s.code.startsWith("CAIRN_")) (err as Error & { code?: string }).code = s.code;
  return err;
}

class StoredCairnError extends CairnError {
  override readonly retriable: boolean;
  constructor(code: string, message: string, retriable: boolean, cause: unknown) {
    super(code, message, { cause });
    this.retriable = retriable;
  }
}

export function isRetriable(err: unknown): boolean {
  if (CairnError.is(err)) return err.retriable;
  return true;
}

export function isNonRetriable(err: unknown): boolean {
  return CairnError.is(err) && (err.code === ErrorCode.NonRetriable || !err.retriable);
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
