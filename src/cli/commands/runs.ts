import { isTerminal } from "../../store/records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import type { CliContext } from "../engine-context.js";
import { printJson } from "../format.js";

/** `cairn runs cancel ID`: says what happened, including that there was nothing to cancel. */
export async function runsCancelCommand(args: Parsed): Promise<number> {
  const id = positionals(args, 1, "runs cancel ID")[0]!;
  return withContext(args, async (ctx) => {
    const before = await ctx.journal.getRunSummary(ctx.workspace, id);
    // An ended run (cancelled included) is left as it is: say so rather than "cancelled".
    if (before !== undefined && isTerminal(before.status)) {
      report(
        ctx,
        { runId: id, status: before.status, changed: false },
        `run ${id} had already ended (${before.status}); nothing to cancel`,
      );
      return 0;
    }
    const status = await ctx.engine.cancel(id, args.string("reason") ?? "cancelled from the CLI");
    const text =
      status === "running"
        ? `run ${id} is running; it stops at its next step (cancel again to end it at once)`
        : status === "cancelled"
          ? `run ${id} cancelled`
          : `run ${id} had already ended (${status}); nothing to cancel`;
    report(ctx, { runId: id, status, changed: status === "running" || status === "cancelled" }, text);
    return 0;
  });
}

export async function runsRetryStepCommand(args: Parsed): Promise<number> {
  const [id, step] = positionals(args, 2, "runs retry-step ID STEP") as [string, string];
  return withContext(args, async (ctx) => {
    await ctx.engine.retryStep(id, step);
    report(
      ctx,
      { runId: id, stepId: step, action: "retry" },
      `step "${step}" of ${id} will run again; \`cairn worker\` picks the run up`,
    );
    return 0;
  });
}

export async function runsSkipStepCommand(args: Parsed): Promise<number> {
  const [id, step] = positionals(args, 2, "runs skip-step ID STEP") as [string, string];
  const output = args.json("output")?.value ?? null;
  return withContext(args, async (ctx) => {
    await ctx.engine.skipStep(id, step, output);
    report(
      ctx,
      { runId: id, stepId: step, action: "skip" },
      `step "${step}" of ${id} recorded as done; \`cairn worker\` goes on from there`,
    );
    return 0;
  });
}

async function withContext(args: Parsed, body: (ctx: CliContext) => Promise<number>): Promise<number> {
  const ctx = await openContext(args);
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}

/** Exactly `n` positional arguments, or a usage error showing the usage. */
export function positionals(args: Parsed, n: number, usage: string): string[] {
  if (args.positionals.length !== n) throw new UsageError(`usage: cairn ${usage}`);
  return args.positionals;
}

function report(ctx: CliContext, value: unknown, text: string): void {
  if (ctx.json) printJson(value);
  else console.log(text);
}
