import { relative } from "node:path";
import type { AgentResult } from "../../agent/agent.js";
import { redactUrl } from "../../shared/redact-url.js";
import { isTerminal } from "../../store/records.js";
import type { RunSummary } from "../../store/records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import type { CliContext } from "../engine-context.js";
import { bold, cost as formatCost, dim, green, red, yellow } from "../format.js";
import { DEMO_AGENT, demoModel } from "../demo/poster-agent.js";
import { follow } from "../follow-run.js";

/** `cairn demo`: the hello-world durable agent, offline unless a model's key is set. */
export async function demoCommand(args: Parsed): Promise<number> {
  const crashAfter = args.number("crash-after");
  const noCache = args.flag("no-cache") || process.env.CAIRN_DISABLE_CACHE === "1";
  if (noCache && !args.flag("resume"))
    throw new UsageError("--no-cache goes with --resume: it re-runs an earlier demo run from scratch");
  if (args.flag("resume") && args.positionals.length > 0)
    throw new UsageError(
      `--resume goes on with the latest demo run and its topic; for a new topic run: cairn demo ${args.positionals.join(" ")}`,
    );
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
    if (args.flag("resume")) {
      const latest = await latestDemoRun(ctx);
      if (noCache) {
        const input = (await ctx.journal.getRun(ctx.workspace, latest.id))?.input;
        runId = (await ctx.engine.start(DEMO_AGENT, input)).runId;
        console.log(
          yellow(
            `cache disabled: every step runs again in a new run ${runId} (run ${latest.id} is left as it is)`,
          ),
        );
      } else if (isTerminal(latest.status)) {
        // Nothing to resume: show how it ended instead of pretending to replay it.
        console.log(
          `run ${bold(latest.id)} has already ${latest.status}; nothing to resume. ${dim("A new one: cairn demo TOPIC")}`,
        );
        await summarize(ctx, latest, model.offline);
        return latest.status === "completed" ? 0 : 1;
      } else {
        runId = latest.id;
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
    const run = await follow(ctx, runId, 60_000, {
      print: true,
      fromStart: !args.flag("resume") || noCache,
      fromEngine: crashAfter !== undefined,
    });
    await summarize(ctx, run, model.offline);
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

async function summarize(ctx: CliContext, run: RunSummary, offline: boolean): Promise<void> {
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
    const cost =
      result.cost === null
        ? "unknown (no price for this model; add one under prices in cairn.config.ts)"
        : offline && result.cost === 0
          ? "$0 (scripted model)"
          : formatCost(result.cost);
    console.log(
      `  tokens ${result.usage.input + result.usage.output} (in ${result.usage.input}, out ${result.usage.output}) · cost ${cost}`,
    );
  }
  console.log(
    dim(`\nEvery model call and tool call, with timing, tokens and cost: cairn runs show ${run.id}`),
  );
}
