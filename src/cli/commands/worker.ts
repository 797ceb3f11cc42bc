import { Worker } from "../../engine/worker.js";
import { redactUrl } from "../../shared/redact-url.js";
import { parse, parsePositiveInt } from "../args.js";
import { openContext } from "../context.js";
import { dim, printJson } from "../format.js";
import { printProgress, stdout } from "../progress-printer.js";

export const WORKER_HELP = `cairn worker [--once] [--concurrency N] [--json]

Claims runnable runs from the store and executes them: new runs, due timers, runs whose event
arrived, and runs of a worker that died (at once when that process is gone from this host,
otherwise when its lease expires). --once does all work runnable now, then exits.
SIGTERM or Ctrl-C stops claiming and lets the runs in hand finish their current step.`;

export async function workerCommand(argv: string[]): Promise<number> {
  const args = parse("worker", argv, { once: { type: "boolean" }, concurrency: { type: "string" } });
  const concurrency = parsePositiveInt("--concurrency", args.values.concurrency, 10);
  const ctx = await openContext(args);
  if (ctx.configPath === undefined && !ctx.json) {
    console.log(dim("no cairn.config.ts here: only the built-in demo agent's runs are executed"));
  }
  const print = !ctx.json;
  const stopPrinting = print ? ctx.engine.on(printProgress(stdout)) : () => {};
  const worker = new Worker(ctx.engine, { concurrency });
  try {
    if (args.values.once) {
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
