import { relative } from "node:path";
import type { AgentResult } from "../../agent/agent.js";
import { redactUrl } from "../../shared/redact-url.js";
import { isTerminal } from "../../store/records.js";
import type { RunSummary } from "../../store/records.js";
import { parse, parsePositiveInt, UsageError } from "../args.js";
import { openContext } from "../context.js";
import type { CliContext } from "../context.js";
import { bold, dim, green, red, yellow } from "../format.js";
import { DEMO_AGENT, demoModel } from "../demo/poster-agent.js";
import { follow } from "./run.js";

export const DEMO_HELP = `cairn demo [TOPIC] [--crash-after N] [--resume] [--no-cache]

The hello-world durable agent: topic → generate an image → write a caption → post. Without an
API key it runs offline on a scripted model that makes real tool calls through the real agent
loop; with OPENAI_API_KEY, ANTHROPIC_API_KEY or CAIRN_DEMO_MODEL (any model spec) it uses that
model. Images and posts go to .cairn/demo/.

  --crash-after N  kill this process (SIGKILL) right after model call N is committed
  --resume         finish the latest unfinished demo run; finished calls come from the journal
  --no-cache       with --resume: run every step again in a new run, for comparison
                   (also CAIRN_DISABLE_CACHE=1)`;

export async function demoCommand(argv: string[]): Promise<number> {
  const args = parse("demo", argv, {
    "crash-after": { type: "string" },
    resume: { type: "boolean" },
    "no-cache": { type: "boolean" },
  });
  const crashAfter =
    args.values["crash-after"] === undefined
      ? undefined
      : parsePositiveInt("--crash-after", args.values["crash-after"], 1);
  const noCache = args.values["no-cache"] === true || process.env.CAIRN_DISABLE_CACHE === "1";
  if (noCache && !args.values.resume)
    throw new UsageError("--no-cache goes with --resume: it re-runs an earlier demo run from scratch");
  const ctx = await openContext(args);
  try {
    const model = demoModel();
    console.log(bold("Cairn demo: a durable agent that posts about a topic"));
    console.log(
      dim(
        model.offline
          ? "model: offline scripted model, no API key needed (set OPENAI_API_KEY, ANTHROPIC_API_KEY or CAIRN_DEMO_MODEL for a real one)"
          : `model: ${model.label}`,
      ),
    );
    console.log(dim(`store: ${redactUrl(ctx.storeUrl)}\n`));
    let runId: string;
    if (args.values.resume) {
      const latest = await latestDemoRun(ctx);
      if (noCache) {
        const input = (await ctx.journal.getRun(ctx.workspace, latest.id))?.input;
        runId = (await ctx.engine.start(DEMO_AGENT, input)).runId;
        console.log(
          yellow(
            `cache disabled: every step runs again in a new run ${runId} (run ${latest.id} is left as it is)`,
          ),
        );
      } else {
        runId = latest.id;
        if (isTerminal(latest.status))
          console.log(dim(`run ${runId} has already ${latest.status}; replaying it from the journal`));
        else
          console.log(
            `resuming run ${bold(runId)}: finished calls come from the journal, nothing is sent twice`,
          );
      }
    } else {
      const topic = args.positionals.join(" ").trim() || "durable agents";
      runId = (await ctx.engine.start(DEMO_AGENT, { message: topic })).runId;
      console.log(`${bold("run")} ${runId} ${dim(`· ${DEMO_AGENT} · topic "${topic}"`)}`);
    }
    if (crashAfter !== undefined) crashAfterModelCalls(ctx, runId, crashAfter);
    const run = await follow(ctx, runId, 60_000, true);
    await summarize(ctx, run);
    return run.status === "completed" || run.status === "waiting" ? 0 : 1;
  } finally {
    await ctx.close();
  }
}

async function latestDemoRun(ctx: CliContext): Promise<RunSummary> {
  const runs = await ctx.journal.listRuns(ctx.workspace, { workflow: DEMO_AGENT, limit: 50 });
  const run = runs.find((r) => !isTerminal(r.status)) ?? runs[0];
  if (run === undefined) throw new UsageError("there is no demo run to resume; start one with: cairn demo");
  return run;
}

/** The demo's crash: SIGKILL, with no chance to clean up, once N model calls are in the journal. */
function crashAfterModelCalls(ctx: CliContext, runId: string, n: number): void {
  let committed = 0;
  ctx.engine.on((p) => {
    if (
      p.type !== "step.ended" ||
      p.runId !== runId ||
      !p.stepId.startsWith("model") ||
      p.status !== "completed"
    )
      return;
    if (++committed < n) return;
    // After the other listeners, so the committed call is printed before the process dies.
    queueMicrotask(() => {
      console.log(
        red(`\n  simulated crash: SIGKILL right after model call ${n} was committed to the journal`),
      );
      console.log(dim("  finish the run with: cairn demo --resume   (or: cairn worker --once)"));
      process.kill(process.pid, "SIGKILL");
    });
  });
}

async function summarize(ctx: CliContext, run: RunSummary): Promise<void> {
  console.log("");
  if (run.status === "waiting") {
    console.log(`${yellow("waiting")}: ${run.reason ?? ""}`);
    console.log(
      dim(
        "The run holds no process while it waits. Decide with the commands above, then `cairn worker --once`",
      ),
    );
    console.log(dim("(or `cairn demo --resume`) posts it."));
    return;
  }
  if (run.status !== "completed") {
    console.log(`${red(run.status)} ${run.reason ?? run.error?.message ?? ""}`);
    return;
  }
  const full = await ctx.journal.getRun(ctx.workspace, run.id);
  const result = full?.output as AgentResult | undefined;
  console.log(`${green("completed")}: ${result?.text ?? ""}`);
  for (const step of await ctx.journal.loadSteps(ctx.workspace, run.id)) {
    const out = step.output as { image?: string; outbox?: string } | undefined;
    if (step.stepId.startsWith("tool.generate_image") && out?.image)
      console.log(`  image  ${relative(process.cwd(), out.image)}`);
    if (step.stepId.startsWith("tool.post") && out?.outbox)
      console.log(`  post   ${relative(process.cwd(), out.outbox)}`);
  }
  if (result) {
    const cost = result.cost === null ? "no price for this model" : `$${result.cost.toFixed(6)}`;
    console.log(
      `  tokens ${result.usage.input + result.usage.output} (in ${result.usage.input}, out ${result.usage.output}) · cost ${cost}`,
    );
  }
  console.log(
    dim(`\nEvery model call and tool call, with timing, tokens and cost: cairn runs show ${run.id}`),
  );
}
