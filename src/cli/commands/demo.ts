import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, parsePositiveInt } from "../args.js";
import { openContext } from "../context.js";
import { bold, cyan, dim, green, red } from "../format.js";
import { printProgress } from "../progress-printer.js";
import { executionLog, reportWorkflow } from "../demo/report-workflow.js";
import { follow } from "./run.js";

export const DEMO_HELP = `cairn demo [--step-ms N]

Shows durable execution on the local store: a worker process runs a five-step workflow, is
killed with SIGKILL after its second step, and a new worker finishes the run without
repeating the finished steps. Needs no config and no API key.`;

const CRASH_AFTER = "extract-facts";

export async function demoCommand(argv: string[]): Promise<number> {
  const args = parse("demo", argv, { "step-ms": { type: "string" }, "child-run": { type: "string" } });
  const stepMs = parsePositiveInt("--step-ms", args.values["step-ms"], 400);
  const ctx = await openContext(args, { workflows: [reportWorkflow] });
  try {
    const childRun = args.values["child-run"] as string | undefined;
    if (childRun) return await crashingWorker(ctx, childRun);

    console.log(bold("Cairn demo: a durable workflow survives a crash"));
    console.log(dim(`store ${ctx.storeUrl}\n`));
    const { runId } = await ctx.engine.start(reportWorkflow, { topic: "durable agents", stepMs });
    console.log(
      `${cyan("1.")} A worker process starts run ${bold(runId)} (${reportWorkflow.id}, five steps).`,
    );
    const signal = await runChild(runId, args.values.store as string | undefined);
    console.log(
      `${cyan("2.")} The worker was killed with ${red(signal ?? "no signal")} right after step "${CRASH_AFTER}" was committed.`,
    );
    console.log(
      `${cyan("3.")} A new worker takes the run over at once (its owner process is gone) and resumes it:`,
    );
    const run = await follow(ctx, runId, 60_000, true);
    const counts = countExecutions(runId);
    console.log("");
    console.log(
      `${run.status === "completed" ? green("completed") : red(run.status)}: ${JSON.stringify((await ctx.journal.getRun(ctx.workspace, runId))?.output)}`,
    );
    console.log(`each step body ran: ${[...counts].map(([k, v]) => `${k} ×${v}`).join(", ")}`);
    console.log(dim(`\nSee every step, its timing and result: cairn runs show ${runId}`));
    rmSync(executionLog(runId), { force: true });
    return run.status === "completed" ? 0 : 1;
  } finally {
    await ctx.close();
  }
}

/** Runs the demo's first worker in a child process and returns the signal that ended it. */
function runChild(runId: string, store: string | undefined): Promise<NodeJS.Signals | null> {
  const main = fileURLToPath(new URL("../main.js", import.meta.url));
  const argv = [
    ...process.execArgv,
    main,
    "demo",
    "--child-run",
    runId,
    ...(store ? ["--store", store] : []),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve(signal));
  });
}

/** The child: executes the run and kills itself, hard, once the second step is committed. */
async function crashingWorker(ctx: Awaited<ReturnType<typeof openContext>>, runId: string): Promise<number> {
  const print = printProgress((l) => console.log(l));
  ctx.engine.on((p) => {
    print(p);
    if (p.type === "step.ended" && p.stepId === CRASH_AFTER) process.kill(process.pid, "SIGKILL");
  });
  const lease = await ctx.engine.claimRun(runId);
  if (lease) await ctx.engine.execute(lease);
  return 0;
}

function countExecutions(runId: string): Map<string, number> {
  const counts = new Map<string, number>();
  const path = executionLog(runId);
  if (!existsSync(path)) return counts;
  for (const line of readFileSync(path, "utf8").split("\n"))
    if (line) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}
