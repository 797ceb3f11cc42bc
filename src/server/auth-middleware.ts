import type { MiddlewareHandler } from "hono";
import { CairnError, ErrorCode, InputError } from "../shared/errors.js";
import type { ApiScope } from "../store/service-records.js";
import type { Authenticator } from "./auth.js";
import { allows } from "./auth.js";
import type { ServerEnv, Services } from "./context.js";
import { errorBody } from "./http-errors.js";
import { isLoopbackHost } from "./loopback-host.js";
import type { RateLimiter } from "./rate-limit.js";

/** Routes anyone may call: probes and the API's description. */
const PUBLIC = new Set(["/v1/health", "/v1/ready", "/v1/openapi.json"]);

/**
 * The scope a request needs: keys and deleting runs are admin's, decisions approve's, other
 * writes run's, reads read's. (A bulk delete, named in its body, is checked for admin by its route.)
 */
export function scopeFor(method: string, path: string): ApiScope {
  if (path === "/v1/keys" || path.startsWith("/v1/keys/")) return "admin";
  if (path === "/v1/secrets" || path.startsWith("/v1/secrets/")) return "admin";
  if (method === "DELETE" && path.startsWith("/v1/runs/")) return "admin";
  if (method === "GET" || method === "HEAD") return "read";
  if (path.startsWith("/v1/approvals/")) return "approve";
  return "run";
}

/**
 * The one middleware every /v1 route passes through: who is calling (401 without a valid key),
 * whether they may (403 without the scope, 429 over their rate), and the engine of their
 * workspace, which is all a handler ever reads or writes through. Nothing else checks access.
 */
export function authMiddleware(
  services: Services,
  auth: Authenticator,
  limiter: RateLimiter | undefined,
): MiddlewareHandler<ServerEnv> {
  return async (c, next) => {
    c.set("services", services);
    if (PUBLIC.has(c.req.path)) return next();
    const host = c.req.header("host");
    if (auth.open && !isLoopbackHost(host)) {
      throw new InputError(
        ErrorCode.Forbidden,
        `this development server lets in every request, so it answers only those addressed to localhost, 127.0.0.1 or [::1], not to "${host}"; to serve other hosts, run cairn serve with API keys`,
      );
    }
    const header = c.req.header("authorization");
    const token = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    const principal = await auth.authenticate(token);
    if (limiter !== undefined) {
      const waitMs = limiter.take(principal.keyId ?? "open");
      if (waitMs > 0) {
        c.header("Retry-After", String(Math.max(1, Math.ceil(waitMs / 1000))));
        return c.json(
          errorBody(ErrorCode.RateLimited, `too many requests for this key; try again in ${waitMs} ms`),
          429,
        );
      }
    }
    const scope = scopeFor(c.req.method, c.req.path);
    if (!allows(principal, scope)) {
      throw new InputError(
        ErrorCode.Forbidden,
        `this key may not do that: it needs the "${scope}" scope (it has ${principal.scopes.join(", ")})`,
      );
    }
    c.set("principal", principal);
    // For streams, which outlive this check: the key asked about again while they are open.
    c.set(
      "keyStillValid",
      principal.keyId === null
        ? undefined
        : () =>
            auth.authenticate(token).then(
              () => true,
              (err: unknown) => {
                if (CairnError.is(err, ErrorCode.Unauthorized)) return false;
                throw err;
              },
            ),
    );
    c.set("engine", services.engine.forWorkspace(principal.workspace));
    await next();
  };
}
