import { RUN_STATUSES } from "../../store/records.js";
import type { RunStatus } from "../../store/records.js";
import { parse, parseJsonFlag, parsePositiveInt, UsageError } from "../args.js";
import { openContext } from "../context.js";
import type { CliContext } from "../context.js";
import { dim, duration, preview, printJson, statusText, table, time } from "../format.js";
import { followRun } from "./runs-follow.js";
import { showRun } from "./runs-show.js";

export const RUNS_HELP = `cairn runs ls [--status S] [--workflow W] [--limit N] [--json]
cairn runs show ID [--follow] [--json]   --follow: then print its log as it grows, until it ends
cairn runs cancel ID [--json]
cairn runs retry-step ID STEP      run an interrupted side-effecting step again (same idempotency key)
cairn runs skip-step ID STEP [--output JSON]   record STEP's result by hand and go on`;

export async function runsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "ls":
    case "list":
      return withContext(
        "runs ls",
        rest,
        { status: { type: "string" }, workflow: { type: "string" }, limit: { type: "string" } },
        ls,
      );
    case "show":
      return withContext("runs show", rest, { follow: { type: "boolean" } }, async (ctx, a) => {
        const id = one(a.positionals, "runs show ID");
        if (!a.values.follow) return showRun(ctx, id);
        // JSON: the whole log, then what follows. Text: the run as it is, then what follows.
        if (ctx.json) return followRun(ctx, id, 0);
        const seen = await ctx.journal.readEntries(ctx.workspace, id);
        await showRun(ctx, id);
        return followRun(ctx, id, seen.at(-1)?.seq ?? 0);
      });
    case "cancel":
      return withContext("runs cancel", rest, { reason: { type: "string" } }, cancel);
    case "retry-step":
      return withContext("runs retry-step", rest, {}, async (ctx, a) => {
        const [id, step] = two(a.positionals, "runs retry-step ID STEP");
        await ctx.engine.retryStep(id, step);
        report(
          ctx,
          { runId: id, stepId: step, action: "retry" },
          `step "${step}" of ${id} will run again; \`cairn worker\` picks the run up`,
        );
        return 0;
      });
    case "skip-step":
      return withContext("runs skip-step", rest, { output: { type: "string" } }, async (ctx, a) => {
        const [id, step] = two(a.positionals, "runs skip-step ID STEP");
        const output = parseJsonFlag("--output", a.values.output) ?? null;
        await ctx.engine.skipStep(id, step, output);
        report(
          ctx,
          { runId: id, stepId: step, action: "skip" },
          `step "${step}" of ${id} recorded as done; \`cairn worker\` goes on from there`,
        );
        return 0;
      });
    default:
      throw new UsageError(`cairn runs: unknown subcommand "${sub ?? ""}"\n\n${RUNS_HELP}`);
  }
}

type Args = ReturnType<typeof parse>;

async function withContext(
  verb: string,
  argv: string[],
  flags: Parameters<typeof parse>[2],
  body: (ctx: CliContext, args: Args) => Promise<number>,
): Promise<number> {
  const args = parse(verb, argv, flags);
  const ctx = await openContext(args);
  try {
    return await body(ctx, args);
  } finally {
    await ctx.close();
  }
}

function one(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(`usage: cairn ${usage}`);
  return positionals[0]!;
}

function two(positionals: string[], usage: string): [string, string] {
  if (positionals.length !== 2) throw new UsageError(`usage: cairn ${usage}`);
  return [positionals[0]!, positionals[1]!];
}

function report(ctx: CliContext, value: unknown, text: string): void {
  if (ctx.json) printJson(value);
  else console.log(text);
}

async function ls(ctx: CliContext, args: Args): Promise<number> {
  const status = args.values.status as string | undefined;
  if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
    throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}; not "${status}"`);
  }
  const runs = await ctx.journal.listRuns(ctx.workspace, {
    ...(status ? { status: status as RunStatus } : {}),
    ...(args.values.workflow ? { workflow: args.values.workflow as string } : {}),
    limit: parsePositiveInt("--limit", args.values.limit, 50),
  });
  if (ctx.json) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    console.log(dim("no runs"));
    return 0;
  }
  const rows = [["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION", "NOTE"].map((h) => dim(h))];
  for (const r of runs) {
    const end = r.endedAt ?? (await ctx.journal.now());
    rows.push([
      r.id,
      r.workflow,
      statusText(r.status),
      time(r.createdAt),
      r.startedAt ? duration(end - r.startedAt) : "",
      preview(r.reason ?? r.error?.message ?? "", 50).replace(/^"|"$/g, ""),
    ]);
  }
  console.log(table(rows));
  return 0;
}

async function cancel(ctx: CliContext, args: Args): Promise<number> {
  const id = one(args.positionals, "runs cancel ID");
  const reason = (args.values.reason as string | undefined) ?? "cancelled from the CLI";
  const status = await ctx.engine.cancel(id, reason);
  if (ctx.json) printJson({ runId: id, status });
  else if (status === "running") console.log(`run ${id} is running; it stops at its next step`);
  else if (status === "cancelled") console.log(`run ${id} cancelled`);
  else console.log(`run ${id} had already ended (${status}); nothing to cancel`);
  return 0;
}
