import { Worker } from "../../engine/worker.js";
import { redactUrl } from "../../shared/redact-url.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import { describeUnrunnable, failUnrunnable, reportUnrunnable } from "../../engine/unrunnable.js";
import { dim, printJson, yellow } from "../format.js";
import { printProgress, stdout } from "../progress-printer.js";

/** `cairn worker`: executes runnable runs until stopped (or, with --once, until none is runnable). */
export async function workerCommand(args: Parsed): Promise<number> {
  if (args.positionals.length > 0)
    throw new UsageError(`cairn worker takes no arguments ("${args.positionals.join(" ")}")`);
  const concurrency = args.number("concurrency") ?? 10;
  const ctx = await openContext(args);
  if (ctx.configPath === undefined && !ctx.json) {
    console.log(dim("no cairn.config.ts here: only the built-in demo agent's runs are executed"));
  }
  const print = !ctx.json;
  const stopPrinting = print ? ctx.engine.on(printProgress(stdout)) : () => {};
  // Unrunnable runs are said once here, for a person; the worker itself would say it as a log line.
  const worker = new Worker(ctx.engine, {
    concurrency,
    reportUnrunnable: false,
    ...(ctx.config.retention ? { retention: ctx.config.retention } : {}),
  });
  try {
    for (const u of await reportUnrunnable(ctx.engine, { log: false })) {
      console.error(yellow(`cairn worker: ${describeUnrunnable(u)}`));
    }
    if (args.flag("fail-unrunnable")) {
      const failed = await failUnrunnable(ctx.engine);
      if (failed.length > 0)
        console.error(yellow(`cairn worker: failed ${failed.length} of them: ${failed.join(", ")}`));
    }
    if (args.flag("once")) {
      const result = await worker.drain();
      if (ctx.json) printJson(result);
      else {
        const parts = Object.entries(result.outcomes).map(([k, v]) => `${v} ${k}`);
        console.log(
          `worker: ${result.executions} execution${result.executions === 1 ? "" : "s"}${parts.length ? ` (${parts.join(", ")})` : ""}`,
        );
      }
      return 0;
    }
    console.log(
      dim(
        `worker ${ctx.engine.owner} on ${redactUrl(ctx.storeUrl)}; workflows: ${ctx.engine.workflows.map((w) => w.id).join(", ")}`,
      ),
    );
    worker.start();
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        console.log(dim(`${signal}: finishing the steps in hand, then stopping`));
        void worker.stop().then(resolve);
      };
      process.once("SIGINT", () => shutdown("SIGINT"));
      process.once("SIGTERM", () => shutdown("SIGTERM"));
    });
    return 0;
  } finally {
    stopPrinting();
    await ctx.close();
  }
}
