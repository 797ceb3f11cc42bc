import type { AttemptRecord, RunSummary, StepRecord } from "../../store/records.js";
import { isTerminal } from "../../store/records.js";
import type { Parsed } from "../args.js";
import type { StoreContext } from "../context.js";
import { openStore } from "../context.js";
import {
  bold,
  cost as formatCost,
  dim,
  duration,
  oneLine,
  preview,
  printJson,
  red,
  statusText,
  table,
  time,
  yellow,
} from "../format.js";
import { positionals } from "./runs.js";
import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import { Entry } from "../../store/entry-types.js";
import type { RunUsage } from "../../agent/run-usage.js";
import { modelTurnOf, runUsage } from "../../agent/run-usage.js";

const STEP_MARK: Record<string, string> = {
  completed: "✓",
  failed: "✗",
  retrying: "↻",
  waiting: "…",
  started: "▸",
  cancelled: "✗",
};

/**
 * `cairn runs show ID [--follow]`: the run as it stands (from the store alone), then with
 * --follow its log as it grows (which needs an engine).
 */
export async function runsShowCommand(args: Parsed): Promise<number> {
  const id = positionals(args, 1, "runs show ID [--follow]")[0]!;
  if (!args.flag("follow")) {
    const ctx = await openStore(args, { readOnly: true });
    try {
      return await showRun(ctx, id);
    } finally {
      await ctx.close();
    }
  }
  const { openContext } = await import("../engine-context.js");
  const { followRun } = await import("./runs-follow.js");
  const ctx = await openContext(args);
  try {
    // JSON: the whole log, then what follows. Text: the run as it is, then what follows.
    if (ctx.json) return await followRun(ctx, id, 0);
    const seen = await ctx.journal.readEntries(ctx.workspace, id);
    await showRun(ctx, id);
    return await followRun(ctx, id, seen.at(-1)?.seq ?? 0);
  } finally {
    await ctx.close();
  }
}

/** The run, its steps with attempts and timing, and its child runs. */
export async function showRun(ctx: StoreContext, id: string): Promise<number> {
  const run = await ctx.journal.getRun(ctx.workspace, id);
  if (run === undefined) throw runNotFound(id, ctx.workspace);
  const steps = await ctx.journal.loadSteps(ctx.workspace, id);
  const attempts = await ctx.journal.loadAttempts(ctx.workspace, id);
  const children = await ctx.journal.listRuns(ctx.workspace, { parentRunId: id, limit: 1000 });
  const usage = await runUsage(ctx.journal, ctx.workspace, id);
  const warnings = await runWarnings(ctx, id);
  if (ctx.json) {
    printJson({ run, steps, attempts, children, usage, warnings });
    return 0;
  }
  const now = await ctx.journal.now();
  console.log(`${bold(run.id)}  ${run.workflow}  ${statusText(run.status)}`);
  const facts: [string, string][] = [
    ["created", time(run.createdAt)],
    ["started", time(run.startedAt)],
    ["ended", time(run.endedAt)],
    ["duration", run.startedAt ? duration((run.endedAt ?? now) - run.startedAt) : ""],
    ["attempt", run.attempt > 1 ? String(run.attempt) : ""],
    ["version", run.version ?? ""],
    ["parent", run.parentRunId ? `${run.parentRunId} (step ${run.parentStepId})` : ""],
    ["forked", run.forkedFrom ? `from ${run.forkedFrom.runId} at step ${run.forkedFrom.stepId}` : ""],
    [
      "lease",
      run.status === "running"
        ? `${run.leaseOwner} epoch ${run.leaseEpoch}, expires ${time(run.leaseExpiresAt)}`
        : "",
    ],
    ["wakes", run.wakeAt && run.status !== "completed" ? time(run.wakeAt) : ""],
    ["note", run.reason && run.status !== "failed" ? oneLine(run.reason, Infinity) : ""],
    ["input", preview(run.input, 100)],
    ["output", run.status === "completed" ? preview(run.output, 100) : ""],
    ["stored", `${run.storedBytes} bytes`],
    ["usage", usage.modelCalls > 0 ? describeUsage(usage) : ""],
  ];
  for (const [k, v] of facts) if (v) console.log(`  ${dim(k.padEnd(9))}${v}`);
  if (run.error)
    console.log(
      `  ${dim("error".padEnd(9))}${red(run.error.message)}${run.error.code ? dim(` (${run.error.code})`) : ""}`,
    );
  for (const w of warnings)
    console.log(`  ${dim("warning".padEnd(9))}${yellow(w.message)} ${dim(`(${w.type}, ${time(w.at)})`)}`);
  console.log("");
  console.log(stepTable(steps, attempts, run, now));
  if (children.length) {
    console.log("");
    console.log(bold("child runs"));
    for (const c of children)
      console.log(`  └ ${c.id}  ${c.workflow}  ${statusText(c.status)}  ${dim(`step ${c.parentStepId}`)}`);
  }
  return 0;
}

/** Log entries that warn about the run, the latest of each kind: what a person should know. */
const WARNING_ENTRIES: readonly string[] = [Entry.RunStalled, Entry.RunLeaseStarved, Entry.RunStorageWarning];

async function runWarnings(
  ctx: StoreContext,
  id: string,
): Promise<{ type: string; at: number; message: string }[]> {
  const latest = new Map<string, { type: string; at: number; message: string }>();
  for (const e of await ctx.journal.readEntries(ctx.workspace, id)) {
    if (WARNING_ENTRIES.includes(e.type) && typeof e.data.message === "string")
      latest.set(e.type, { type: e.type, at: e.at, message: e.data.message });
  }
  return [...latest.values()];
}

function describeUsage(u: RunUsage): string {
  const tokens = `${u.usage.input + u.usage.output} tokens (in ${u.usage.input}, cached ${u.usage.cached}, out ${u.usage.output})`;
  const cost =
    u.cost === null
      ? "cost unknown (a model has no price: add one under prices in cairn.config.ts)"
      : formatCost(u.cost);
  const resent = u.resentCalls > 0 ? yellow(` · ${u.resentCalls} call(s) re-sent after a crash`) : "";
  return `${tokens} · ${cost} · ${u.modelCalls} model call(s), sub-agents included${resent}`;
}

/** What a step returned, in one cell: a model call's tokens, cost and tool calls, or a preview. */
function resultCell(output: unknown): string {
  const turn = modelTurnOf(output);
  if (turn === undefined) return preview(output);
  const parts = [`${turn.usage.input + turn.usage.output} tok`];
  if (turn.cost !== null && turn.cost > 0) parts.push(formatCost(turn.cost));
  if (turn.resent) parts.push(yellow("re-sent"));
  const calls = turn.toolCalls.map((c) => c.name).join(", ");
  parts.push(calls ? `→ ${calls}` : preview(turn.text, 40));
  return parts.join(" · ");
}

function stepTable(steps: StepRecord[], attempts: AttemptRecord[], run: RunSummary, now: number): string {
  if (steps.length === 0) return dim("  no steps yet");
  const rows = [["#", "STEP", "KIND", "STATUS", "TRIES", "AT", "TOOK", "RESULT"].map((h) => dim(h))];
  const origin = run.startedAt ?? run.createdAt;
  for (const s of steps) {
    const status = shownStatus(s, run);
    const took =
      s.endedAt !== null
        ? duration(s.endedAt - s.startedAt)
        : status === "waiting"
          ? duration(now - s.startedAt)
          : status !== s.status && run.endedAt !== null
            ? duration(run.endedAt - s.startedAt)
            : "";
    const result =
      status === "failed"
        ? red(s.error?.message ?? "")
        : status === "retrying"
          ? yellow(`next try ${time(s.retryAt)}: ${s.error?.message ?? ""}`)
          : status === "completed"
            ? resultCell(s.output)
            : "";
    rows.push([
      String(s.seq + 1),
      `${STEP_MARK[status] ?? " "} ${s.stepId}`,
      s.kind,
      statusText(status),
      String(s.attempt),
      `+${duration(s.startedAt - origin) || "0ms"}`,
      took,
      result,
    ]);
    for (const a of attempts.filter((x) => x.stepId === s.stepId)) {
      rows.push([
        "",
        dim(`    attempt ${a.attempt}`),
        "",
        dim(a.outcome),
        "",
        "",
        dim(duration(a.endedAt - a.startedAt)),
        dim(a.error?.message ?? ""),
      ]);
    }
  }
  return table(rows);
}

/**
 * A step's status as it reads now. A run that has ended leaves a step it was waiting on (a
 * sleep, an event, a retry) as it was recorded; that step stopped with the run, so it shows as
 * cancelled with the run, or as unfinished when the run ended otherwise.
 */
function shownStatus(s: StepRecord, run: RunSummary): string {
  if (s.status === "completed" || s.status === "failed" || !isTerminal(run.status)) return s.status;
  return run.status === "cancelled" ? "cancelled" : "unfinished";
}

function runNotFound(id: string, ws: string): NotFoundError {
  return new NotFoundError(
    ErrorCode.RunNotFound,
    `no run ${id} in workspace ${ws}; \`cairn runs ls\` lists runs`,
  );
}
