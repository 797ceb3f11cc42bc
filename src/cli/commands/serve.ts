import { createApp } from "../../server/app.js";
import { keyAuth } from "../../server/auth.js";
import { listen } from "../../server/listen.js";
import { stderrLogger } from "../../shared/logger.js";
import { parse, UsageError } from "../args.js";
import { openContext } from "../context.js";
import { dim } from "../format.js";
import { appLimits, isLoopback, portOf, SERVE_FLAGS, untilSignal } from "./serve-options.js";

export const SERVE_HELP = `cairn serve [--host H] [--port N] [--cors ORIGINS] [--rate N]

The HTTP API (/v1: runs, streams, approvals, sessions, chat; OpenAPI at /v1/openapi.json) on the
store named by CAIRN_STORE. Every request needs an API key (cairn keys create). Runs are executed
by \`cairn worker\` processes, not by the server. Binds 127.0.0.1 unless --host is given, and
refuses to listen beyond this machine while no API key exists. --port (default $PORT or 3000;
0: any free port). --cors https://app.example lets browsers on those origins call it. --rate:
requests per second per key (default 50; 0: no limit). SIGTERM: streams end cleanly (clients
resume with Last-Event-ID), requests in flight finish, then the process exits.`;

export async function serveCommand(argv: string[]): Promise<number> {
  const args = parse("serve", argv, SERVE_FLAGS);
  if (args.positionals.length > 0) throw new UsageError(`cairn serve takes no arguments\n\n${SERVE_HELP}`);
  const host = (args.values.host as string | undefined) ?? "127.0.0.1";
  const port = portOf(args);
  const limits = appLimits(args);
  const ctx = await openContext(args);
  try {
    const hasKeys = await ctx.journal.hasApiKeys();
    if (!hasKeys && !isLoopback(host)) {
      throw new UsageError(
        `cairn serve: refusing to listen on ${host} while no API key exists (anyone could reach an API nobody can use);` +
          " create one first: cairn keys create NAME --scopes admin",
      );
    }
    const logger = stderrLogger(process.env.CAIRN_LOG_LEVEL === "debug" ? "debug" : "warn", {
      process: "serve",
    });
    const cairn = createApp({
      engine: ctx.engine,
      agents: ctx.agents,
      auth: keyAuth(ctx.journal),
      logger,
      ...limits,
    });
    const server = await listen(cairn, { host, port });
    if (ctx.json)
      console.log(JSON.stringify({ url: server.url, store: redact(ctx.storeUrl), workspace: ctx.workspace }));
    else {
      console.log(`cairn serve: listening on ${server.url}`);
      console.log(
        dim(
          `store ${redact(ctx.storeUrl)}, workspace ${ctx.workspace}; runs are executed by \`cairn worker\``,
        ),
      );
      if (!hasKeys)
        console.log(dim("no API key exists yet: every request gets 401 until one does (cairn keys create)"));
    }
    const signal = await untilSignal();
    if (!ctx.json) console.log(dim(`${signal}: ending streams, finishing requests in flight`));
    await server.close();
    return 0;
  } finally {
    await ctx.close();
  }
}

/** A store URL without its password. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}
