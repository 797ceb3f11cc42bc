import { isTerminal } from "../../store/records.js";
import type { RunSummary } from "../../store/records.js";
import type { Agent, AgentInput } from "../../agent/agent.js";
import { sendToAgent } from "../../agent/send-to-agent.js";
import type { StartOptions, StartResult } from "../../engine/engine.js";
import { parse, parseJsonFlag, UsageError } from "../args.js";
import { openContext } from "../context.js";
import { askApprovals, canAsk, printHint } from "../interactive-approval.js";
import { missingConfig } from "../load-config.js";
import type { CliContext } from "../context.js";
import { bold, dim, printJson, statusText, yellow } from "../format.js";
import { printProgress, stdout } from "../progress-printer.js";

export const RUN_HELP = `cairn run NAME [MESSAGE…] [--input JSON] [--session S] [--user U] [--idempotency-key KEY] [--detach] [--json]

For an agent, the words after NAME are the message; --session continues a conversation and
--user names who the agent acts for (\`cairn run poster "a post about cairns"\`);
for a workflow, --input gives its input as JSON.

Starts a run of workflow NAME and executes it in this process, printing each step as it
starts and finishes. Timers of up to --follow-for (default 60s) are waited out here; longer
waits leave the run durably waiting for \`cairn worker\`. --detach only enqueues the run.`;

/** How long an attached `cairn run` waits for a timer before handing the run to workers. */
const DEFAULT_FOLLOW_MS = 60_000;

export async function runCommand(argv: string[]): Promise<number> {
  const args = parse("run", argv, {
    input: { type: "string" },
    detach: { type: "boolean" },
    "idempotency-key": { type: "string" },
    "follow-for": { type: "string" },
    session: { type: "string" },
    user: { type: "string" },
  });
  const [name, ...message] = args.positionals;
  if (name === undefined || (message.length > 0 && args.values.input !== undefined)) {
    process.stderr.write(`usage: ${RUN_HELP.split("\n")[0]}\n`);
    return 2;
  }
  const input =
    parseJsonFlag("--input", args.values.input) ?? (message.length ? { message: message.join(" ") } : {});
  const ctx = await openContext(args);
  if (ctx.configPath === undefined && !ctx.engine.workflows.some((w) => w.id === name))
    throw missingConfig(process.cwd());
  try {
    const key = args.values["idempotency-key"] as string | undefined;
    const options = key ? { idempotencyKey: key } : {};
    const agent = ctx.agents.get(name);
    const session = args.values.session as string | undefined;
    const user = args.values.user as string | undefined;
    if (agent === undefined && (session !== undefined || user !== undefined)) {
      throw new UsageError(`--session and --user are for agents; "${name}" is a workflow`);
    }
    const started = agent
      ? await startAgent(
          ctx,
          agent,
          { ...(input as AgentInput), ...(session ? { session } : {}), ...(user ? { user } : {}) },
          options,
        )
      : await ctx.engine.start(name, input, options);
    if (args.values.detach) {
      if (ctx.json) printJson(started);
      else
        console.log(
          `${started.created ? "queued" : "existing"} run ${bold(started.runId)} of ${name}; \`cairn worker\` executes it`,
        );
      return 0;
    }
    if (!ctx.json) console.log(`${bold("run")} ${started.runId} ${dim(`· workflow ${name}`)}`);
    const followMs = args.values["follow-for"] ? Number(args.values["follow-for"]) * 1000 : DEFAULT_FOLLOW_MS;
    const run = await follow(ctx, started.runId, followMs, !ctx.json);
    if (ctx.json) printJson(await ctx.journal.getRun(ctx.workspace, started.runId));
    else printOutcome(run);
    return run.status === "failed" || run.status === "cancelled" || run.status === "needs-attention" ? 1 : 0;
  } finally {
    await ctx.close();
  }
}

/** Starts an agent run through its session policy, and says what happened to the message. */
async function startAgent(
  ctx: CliContext,
  agent: Agent,
  input: AgentInput,
  options: StartOptions,
): Promise<StartResult> {
  const sent = await sendToAgent(ctx.engine, agent, input, options);
  if (!ctx.json && sent.outcome === "steered")
    console.log(dim(`the message joined run ${sent.runId}, in flight in this session`));
  if (!ctx.json && sent.outcome === "queued") console.log(dim(`queued behind the session's run in flight`));
  if (!ctx.json && sent.outcome === "interrupted")
    console.log(dim(`interrupted the session's run in flight; this run answers both`));
  const run = await ctx.journal.getRunSummary(ctx.workspace, sent.runId);
  return { runId: sent.runId, created: sent.outcome !== "steered", status: run?.status ?? "queued" };
}

/**
 * Executes a run and the child runs it starts, in this process, until it ends or must wait
 * longer than `followMs` (then it stays durably waiting for a worker).
 */
export async function follow(
  ctx: CliContext,
  runId: string,
  followMs: number,
  print: boolean,
): Promise<RunSummary> {
  const tree = new Set([runId]);
  const later = new Set<string>();
  const stop = print ? ctx.engine.on(printProgress(stdout, (id) => tree.has(id))) : () => {};
  try {
    for (;;) {
      let executed = false;
      for (const id of [...tree]) {
        const lease = await ctx.engine.claimRun(id);
        if (lease) {
          executed = true;
          await ctx.engine.execute(lease);
        }
        for (const child of await ctx.journal.listRuns(ctx.workspace, { parentRunId: id })) {
          if (!isTerminal(child.status)) tree.add(child.id);
        }
      }
      const run = (await ctx.journal.getRunSummary(ctx.workspace, runId))!;
      if (isTerminal(run.status) || run.status === "needs-attention") return run;
      if (executed) continue;
      const wakes: number[] = [];
      for (const id of tree) {
        const r = await ctx.journal.getRunSummary(ctx.workspace, id);
        if (r && !isTerminal(r.status)) wakes.push(r.wakeAt ?? r.leaseExpiresAt ?? Infinity);
      }
      const now = await ctx.journal.now();
      const next = Math.min(...wakes);
      if (run.status !== "running" && next - now > followMs) {
        const pending = [];
        for (const id of tree) {
          const mine = await ctx.journal.listApprovals(ctx.workspace, {
            runId: id,
            status: "pending",
            limit: 1000,
          });
          pending.push(...mine.filter((a) => !later.has(a.id)));
        }
        if (pending.length === 0) return run;
        if (print && canAsk(ctx) && (await askApprovals(ctx, pending, later))) continue;
        if (print && !canAsk(ctx)) for (const a of pending) printHint(a);
        return run;
      }
      await new Promise((r) => setTimeout(r, Math.max(10, Math.min(250, next - now))));
    }
  } finally {
    stop();
  }
}

function printOutcome(run: RunSummary): void {
  console.log(`${bold(statusText(run.status))} ${dim(run.id)}`);
  if (run.status === "completed") {
    console.log(dim(`  \`cairn runs show ${run.id}\` shows its steps and output.`));
  } else if (run.status === "waiting") {
    console.log(yellow(`  ${run.reason ?? "waiting"}`));
    console.log(
      dim(`  The run holds no process while it waits. \`cairn worker\` resumes it when it is due;`),
    );
    console.log(dim(`  \`cairn runs show ${run.id}\` shows where it is.`));
  } else if (run.status === "needs-attention") {
    console.log(yellow(`  ${run.reason ?? ""}`));
  } else if (run.status === "failed" && run.error) {
    console.log(`  ${run.error.message}`);
  }
}
