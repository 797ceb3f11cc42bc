import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { CairnError, ErrorCode } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";

/** The body of every error response: a stable code and a message for a person. Never a stack. */
export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

const STATUS: Record<string, number> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.Config]: 400,
  [ErrorCode.Unserializable]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.UnknownWorkflow]: 404,
  [ErrorCode.RunNotFound]: 404,
  [ErrorCode.StepNotFound]: 404,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.ApprovalExpired]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Store]: 503,
  [ErrorCode.SecretNotFound]: 404,
  // The server's master key is missing or not the one the secrets were sealed with: its operator's to fix.
  [ErrorCode.VaultKey]: 503,
};

export function errorBody(code: string, message: string, issues?: ErrorBody["error"]["issues"]): ErrorBody {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}

/** An error answered as JSON: Cairn's by their code, anything else as a 500 that is logged, not shown. */
export function errorResponse(err: unknown, c: Context, logger: Logger): Response {
  if (CairnError.is(err)) {
    const status = STATUS[err.code] ?? 500;
    if (status === 500)
      logger.error("request failed", { path: c.req.path, code: err.code, error: err.message });
    const message = status === 500 ? "internal error; the server log has the details" : err.message;
    return c.json(errorBody(err.code, message), status as 500);
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code =
      status === 413
        ? ErrorCode.PayloadTooLarge
        : status === 401
          ? ErrorCode.Unauthorized
          : ErrorCode.InvalidInput;
    // Hono's own messages ("Malformed JSON in request body") are meant for clients.
    return c.json(errorBody(code, err.message || "bad request"), status);
  }
  logger.error("request failed", { path: c.req.path, error: (err as Error)?.message ?? String(err) });
  return c.json(errorBody(ErrorCode.Internal, "internal error; the server log has the details"), 500);
}

/** A failed zod validation as a 400 naming each field, e.g. `body.workflow: expected string`. */
export function validationResponse(error: ZodError, target: string, c: Context): Response {
  const where = target === "json" ? "body" : target === "param" ? "path" : target;
  const issues = error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  const message = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
  return c.json(errorBody(ErrorCode.InvalidInput, message, issues), 400);
}

export function notFound(what: string): CairnError {
  return new CairnError(ErrorCode.NotFound, what);
}
