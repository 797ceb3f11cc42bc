import { APICallError } from "ai";
import { NonRetriableError, RetryAfterError } from "../shared/errors.js";
import { retryAfterMs } from "./retry-after.js";

const PERMANENT = new Set([400, 401, 403, 404, 413, 422]);

/**
 * Decides how a failed model call is retried: a 429 waits what Retry-After says, 5xx and network
 * failures retry with backoff, and a request the provider rejected (400, 401, 403…) fails at
 * once with the provider's own message.
 */
export function classifyModelError(err: unknown, model: string): Error {
  if (!APICallError.isInstance(err)) return err instanceof Error ? err : new Error(String(err));
  const status = err.statusCode;
  const detail = providerMessage(err);
  const message = `${model} returned HTTP ${status ?? "error"}: ${detail}`;
  if (status === 429) {
    const after = retryAfterMs(err.responseHeaders ?? {});
    return after === undefined
      ? new Error(message, { cause: err })
      : new RetryAfterError(message, after, { cause: err });
  }
  if (status !== undefined && PERMANENT.has(status)) {
    const hint = status === 401 || status === 403 ? " (check the API key)" : "";
    return new NonRetriableError(message + hint, { cause: err });
  }
  return new Error(message, { cause: err });
}

function providerMessage(err: APICallError): string {
  const data = err.data as { error?: { message?: unknown } | string; message?: unknown } | undefined;
  if (typeof data?.error === "object" && typeof data.error.message === "string") return data.error.message;
  if (typeof data?.error === "string") return data.error;
  if (typeof data?.message === "string") return data.message;
  return err.message;
}
