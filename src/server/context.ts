import type { Agent } from "../agent/agent.js";
import type { Engine } from "../engine/engine.js";
import type { Clock } from "../shared/clock.js";
import type { Logger } from "../shared/logger.js";
import type { Principal } from "./auth.js";
import type { KeyWatch } from "./key-watch.js";
import type { RunLogHub } from "./run-log-hub.js";

/** What every handler can reach: shared by the whole app. */
export interface Services {
  /** The engine of the server's own workspace; handlers use the request's (`c.var.engine`). */
  engine: Engine;
  agents: ReadonlyMap<string, Agent>;
  clock: Clock;
  logger: Logger;
  hub: RunLogHub;
  /** Longest a request may wait for a run's result (Prefer: wait, ?wait). */
  maxWaitMs: number;
  /** Aborts when the server shuts down: waits answer at once, streams close. */
  shutdown: AbortSignal;
  /** Ends the open streams of a key once it is revoked. */
  keys: KeyWatch;
}

/** Hono's variables, set by the one auth middleware every /v1 route passes through. */
export interface ServerEnv {
  Variables: {
    principal: Principal;
    /** Whether the request's API key is still valid now (none on an open server). */
    keyStillValid: (() => Promise<boolean>) | undefined;
    /** The engine of the principal's workspace: every read and write is scoped by it. */
    engine: Engine;
    services: Services;
  };
}
