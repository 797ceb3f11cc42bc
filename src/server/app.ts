import { OpenAPIHono } from "@hono/zod-openapi";
import { setMaxListeners } from "node:events";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Agent } from "../agent/agent.js";
import type { Engine } from "../engine/engine.js";
import type { Clock } from "../shared/clock.js";
import { systemClock } from "../shared/clock.js";
import { ErrorCode } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import type { MasterKeySource } from "../shared/master-key.js";
import { approvalRoutes } from "./approvals.js";
import type { Authenticator } from "./auth.js";
import { authMiddleware } from "./auth-middleware.js";
import { catalogRoutes } from "./catalog.js";
import { chatRoutes } from "./chat.js";
import type { ServerEnv, Services } from "./context.js";
import { dashboardRoutes, defaultDashboardDir } from "./dashboard.js";
import { eventRoutes } from "./events.js";
import { healthRoutes } from "./health.js";
import { errorBody, errorResponse, validationResponse } from "./http-errors.js";
import { keyRoutes } from "./keys.js";
import type { RateLimitOptions } from "./rate-limit.js";
import { RateLimiter } from "./rate-limit.js";
import { RunLogHub } from "./run-log-hub.js";
import { runStreamRoutes } from "./run-stream.js";
import { runRoutes } from "./runs.js";
import { secretRoutes } from "./secrets.js";
import { runBulkRoutes } from "./runs-bulk.js";
import { runDeleteRoutes } from "./runs-delete.js";
import { KeyWatch } from "./key-watch.js";
import { runDiffRoutes } from "./runs-diff.js";
import { runForkRoutes } from "./runs-fork.js";
import { usageRoutes } from "./usage.js";
import { sessionListRoutes } from "./session-list.js";
import { sessionRoutes } from "./sessions.js";

export interface AppOptions {
  /** The engine of the server's workspace; every other workspace's is `engine.forWorkspace(ws)`. */
  engine: Engine;
  /** Agents by name: sessions, chat and edited approval arguments need them. */
  agents?: ReadonlyMap<string, Agent>;
  /** API keys (keyAuth) or, on loopback only, everyone (openAuth). */
  auth: Authenticator;
  /** For rate limits. Default the system clock. */
  clock?: Clock;
  logger: Logger;
  /** Largest request body (bytes). Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Per API key. Default 50 requests/s, bursts of 100; false: no limit. */
  rateLimit?: RateLimitOptions | false;
  /** Origins browsers may call from; CORS is off unless given. */
  corsOrigins?: string[];
  /** Longest a request may wait for a result. Default 60 s. */
  maxWaitMs?: number;
  /** The built dashboard served at `/`: a folder, or false for none. Default the package's own. */
  dashboard?: string | false;
  /** How often open streams' API keys are checked for revocation (ms). Default 5 s. */
  keyCheckMs?: number;
  /** The vault's master key for /v1/secrets. Default CAIRN_MASTER_KEY or .cairn/master.key. */
  masterKey?: MasterKeySource;
}

export interface CairnApp {
  app: OpenAPIHono<ServerEnv>;
  /**
   * The fetch handler: `app.fetch`, for @hono/node-server or `app.request()` in tests. Pass on the
   * `env` the server gives (Node's `{ incoming, outgoing }`): streams write straight to the socket
   * with it (a slow client's backlog limited in bytes), and without it go through Hono's streamSSE.
   */
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
  services: Services;
  /** Ends every stream and wait (they answer at once) and stops reading the store. */
  close(): void;
}

/**
 * The HTTP API (`/v1`): runs, streams, approvals, sessions, events, keys, chat. Every route passes
 * one auth middleware, validates its input with the zod schemas the OpenAPI document at
 * `/v1/openapi.json` is generated from, and calls the same functions the CLI does.
 */
export function createApp(options: AppOptions): CairnApp {
  const shutdown = new AbortController();
  // Every open stream listens for shutdown: thousands of them are expected, not a leak.
  setMaxListeners(0, shutdown.signal);
  const services: Services = {
    engine: options.engine,
    agents: options.agents ?? new Map(),
    clock: options.clock ?? systemClock,
    logger: options.logger,
    hub: new RunLogHub(options.engine.journal, options.logger),
    maxWaitMs: options.maxWaitMs ?? 60_000,
    shutdown: shutdown.signal,
    keys: new KeyWatch(options.logger, options.keyCheckMs),
  };
  const app = new OpenAPIHono<ServerEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return validationResponse(result.error, result.target, c);
    },
  });
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.use(
      "/v1/*",
      cors({
        origin: options.corsOrigins,
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "Prefer"],
        exposeHeaders: ["Location", "Retry-After", "X-Cairn-Run-Id", "x-vercel-ai-ui-message-stream"],
      }),
    );
  }
  const maxSize = options.bodyLimitBytes ?? 1024 * 1024;
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize,
      onError: (c) =>
        c.json(
          errorBody(ErrorCode.PayloadTooLarge, `the request body is over the limit of ${maxSize} bytes`),
          413,
        ),
    }),
  );
  const limiter =
    options.rateLimit === false
      ? undefined
      : new RateLimiter(options.rateLimit ?? { perSecond: 50, burst: 100 }, services.clock);
  app.use("/v1/*", authMiddleware(services, options.auth, limiter));
  healthRoutes(app);
  // Before runRoutes: /v1/runs/bulk is not a run id.
  runBulkRoutes(app);
  runRoutes(app);
  runForkRoutes(app);
  runDiffRoutes(app);
  runDeleteRoutes(app);
  usageRoutes(app);
  runStreamRoutes(app);
  approvalRoutes(app);
  sessionRoutes(app);
  eventRoutes(app);
  keyRoutes(app);
  secretRoutes(app, options.masterKey);
  chatRoutes(app);
  catalogRoutes(app);
  sessionListRoutes(app);
  app.doc31("/v1/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Cairn API",
      version: "1",
      description:
        "Durable runs of workflows and agents: start, follow, approve. Authorization: Bearer <API key>.",
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "http", scheme: "bearer" });
  // Last: every path the API does not answer is the dashboard's.
  if (options.dashboard !== false)
    dashboardRoutes(app, options.dashboard ?? defaultDashboardDir(), options.auth);
  app.notFound((c) => c.json(errorBody(ErrorCode.NotFound, `no route ${c.req.method} ${c.req.path}`), 404));
  app.onError((err, c) => errorResponse(err, c, options.logger));
  return {
    app,
    // Node's env carries the response the streams write to (see eventStream).
    fetch: (request, env) => app.fetch(request, env),
    services,
    close: () => {
      shutdown.abort();
      services.hub.close();
      services.keys.close();
    },
  };
}
