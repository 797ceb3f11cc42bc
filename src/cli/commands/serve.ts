import { createApp } from "../../server/app.js";
import { keyAuth } from "../../server/auth.js";
import { listen } from "../../server/listen.js";
import { stderrLogger } from "../../shared/logger.js";
import { redactUrl } from "../../shared/redact-url.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import { dim } from "../format.js";
import { appLimits, isLoopback, portOf, untilSignal } from "./serve-options.js";

/** `cairn serve`: the HTTP API on the store, every request with an API key. */
export async function serveCommand(args: Parsed): Promise<number> {
  if (args.positionals.length > 0)
    throw new UsageError("cairn serve takes no arguments (see cairn serve --help)");
  const host = args.string("host") ?? "127.0.0.1";
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
    // Heard from now on: a SIGTERM while the server starts still shuts it down cleanly.
    const signalled = untilSignal();
    const server = await listen(cairn, { host, port });
    if (ctx.json)
      console.log(
        JSON.stringify({ url: server.url, store: redactUrl(ctx.storeUrl), workspace: ctx.workspace }),
      );
    else {
      console.log(`cairn serve: listening on ${server.url}`);
      console.log(
        dim(
          `store ${redactUrl(ctx.storeUrl)}, workspace ${ctx.workspace}; runs are executed by \`cairn worker\``,
        ),
      );
      if (!hasKeys)
        console.log(dim("no API key exists yet: every request gets 401 until one does (cairn keys create)"));
    }
    const signal = await signalled;
    if (!ctx.json) console.log(dim(`${signal}: ending streams, finishing requests in flight`));
    await server.close();
    return 0;
  } finally {
    await ctx.close();
  }
}
