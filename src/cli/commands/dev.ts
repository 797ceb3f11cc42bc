import { Worker } from "../../engine/worker.js";
import type { CairnApp } from "../../server/app.js";
import { createApp } from "../../server/app.js";
import { openAuth } from "../../server/auth.js";
import { listen } from "../../server/listen.js";
import { CairnError } from "../../shared/errors.js";
import { stderrLogger } from "../../shared/logger.js";
import { redactUrl } from "../../shared/redact-url.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import type { CliContext } from "../engine-context.js";
import { openContext } from "../engine-context.js";
import { dim, yellow } from "../format.js";
import { printProgress, stdout } from "../progress-printer.js";
import { SourceWatch } from "../source-watch.js";
import { deciderName } from "./approvals.js";
import { appLimits, isLoopback, portOf, untilSignal } from "./serve-options.js";

interface Loaded {
  ctx: CliContext;
  cairn: CairnApp;
  worker: Worker;
  stopPrinting: () => void;
}

/** `cairn dev`: the API and a worker in one process, on loopback, without keys; reloads the config. */
export async function devCommand(args: Parsed): Promise<number> {
  if (args.positionals.length > 0)
    throw new UsageError("cairn dev takes no arguments (see cairn dev --help)");
  const host = args.string("host") ?? "127.0.0.1";
  if (!isLoopback(host))
    throw new UsageError(
      `cairn dev answers without API keys, so it listens on this machine only (not ${host}); use cairn serve with keys`,
    );
  let current = await load(args);
  // Heard from now on: a SIGTERM while the server starts still shuts it down cleanly.
  const signalled = untilSignal();
  const server = await listen(
    { fetch: (r, env) => current.cairn.fetch(r, env), close: () => current.cairn.close() },
    {
      host,
      port: portOf(args),
    },
  );
  const { ctx } = current;
  // Watching before the lines below are printed: a change saved as soon as they appear reloads.
  const sources = ctx.configPath ? new SourceWatch(ctx.configPath, () => void reload()) : undefined;
  console.log(`cairn dev: listening on ${server.url} with a worker`);
  console.log(
    yellow(
      `open on loopback without API keys: every request acts as ${deciderName(undefined)} in workspace ${ctx.workspace}`,
    ),
  );
  console.log(
    dim(`store ${redactUrl(ctx.storeUrl)}; workflows: ${ctx.engine.workflows.map((w) => w.id).join(", ")}`),
  );
  let reloading: Promise<void> = Promise.resolve();
  const reload = () =>
    (reloading = reloading.then(async () => {
      let next: Loaded;
      try {
        next = await load(args);
      } catch (err) {
        console.log(yellow(`cairn dev: not reloaded: ${CairnError.is(err) ? err.message : String(err)}`));
        return;
      }
      const old = current;
      current = next;
      old.cairn.close();
      old.stopPrinting();
      await old.worker.stop();
      await old.ctx.close();
      sources?.refresh();
      console.log(
        dim(`cairn dev: reloaded; workflows: ${next.ctx.engine.workflows.map((w) => w.id).join(", ")}`),
      );
    }));
  const signal = await signalled;
  console.log(dim(`${signal}: ending streams, finishing the steps in hand`));
  sources?.close();
  await reloading;
  await server.close();
  current.stopPrinting();
  await current.worker.stop();
  await current.ctx.close();
  return 0;
}

async function load(args: Parsed): Promise<Loaded> {
  const ctx = await openContext(args);
  try {
    const logger = stderrLogger(process.env.CAIRN_LOG_LEVEL === "debug" ? "debug" : "warn", {
      process: "dev",
    });
    const cairn = createApp({
      engine: ctx.engine,
      agents: ctx.agents,
      auth: openAuth(ctx.workspace, deciderName(undefined)),
      logger,
      rateLimit: false,
      ...appLimits(args),
    });
    const stopPrinting = ctx.json ? () => {} : ctx.engine.on(printProgress(stdout));
    const worker = new Worker(ctx.engine, ctx.config.retention ? { retention: ctx.config.retention } : {});
    worker.start();
    return { ctx, cairn, worker, stopPrinting };
  } catch (err) {
    await ctx.close();
    throw err;
  }
}
