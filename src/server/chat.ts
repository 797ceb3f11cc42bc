import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ServerEnv } from "./context.js";

/** POST /v1/agents/{name}/chat: the AI SDK UI message stream protocol; see chat-stream.ts. */
export function chatRoutes(_app: OpenAPIHono<ServerEnv>): void {}
