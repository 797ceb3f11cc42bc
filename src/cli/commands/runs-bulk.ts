import { createInterface } from "node:readline/promises";
import type { BulkAction, BulkFilter } from "../../engine/bulk.js";
import { applyBulk, previewBulk } from "../../engine/bulk.js";
import { collectableBefore } from "../../engine/retention.js";
import { toMs } from "../../shared/duration.js";
import type { RunStatus } from "../../store/records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import type { StoreContext } from "../context.js";
import { openStore } from "../context.js";
import type { CliContext } from "../engine-context.js";
import { openContext } from "../engine-context.js";
import { bold, dim, printJson } from "../format.js";
import { runsCancelCommand as cancelOne } from "./runs.js";

/** The flags that pick runs for a bulk action (one entry in the command table each). */
export const BULK_FLAGS = ["status", "workflow", "before", "after"] as const;

/** `cairn runs cancel ID`, or every run the filter flags match (counted, then confirmed). */
export async function runsCancelCommand(args: Parsed): Promise<number> {
  if (args.positionals.length === 1 && !hasFilter(args)) return cancelOne(args);
  return bulk(args, "cancel");
}

/** `cairn runs rerun --status failed …`: a new run, with the same input, of every run matched. */
export function runsRerunCommand(args: Parsed): Promise<number> {
  return bulk(args, "rerun");
}

/** `cairn runs rm ID`, or every ended run the filter flags match; then their unshared payloads. */
export async function runsRmCommand(args: Parsed): Promise<number> {
  if (args.positionals.length !== 1 || hasFilter(args)) return bulk(args, "delete");
  const id = args.positionals[0]!;
  const ctx = await openStore(args);
  try {
    const deleted = await ctx.journal.deleteRun(ctx.workspace, id);
    const gc = await collect(ctx);
    if (ctx.json) printJson({ runId: id, deleted, ...gc });
    else {
      const children = deleted.length - 1;
      console.log(
        `deleted run ${id}${children > 0 ? ` and its ${children} child run${children === 1 ? "" : "s"}` : ""}`,
      );
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

const VERB: Record<BulkAction, [string, string]> = {
  cancel: ["Cancel", "cancelled"],
  rerun: ["Rerun", "rerun (new runs started)"],
  delete: ["Delete", "deleted"],
};

async function bulk(args: Parsed, action: BulkAction): Promise<number> {
  const name = action === "delete" ? "rm" : action;
  if (args.positionals.length > 0 && (action === "rerun" || hasFilter(args)))
    throw new UsageError(
      `cairn runs ${name} takes ${action === "rerun" ? "no run id" : "a run id or filter flags, not both"}; pick runs with --status, --workflow, --before, --after`,
    );
  if (!hasFilter(args))
    throw new UsageError(
      `cairn runs ${name} needs ${action === "rerun" ? "" : "a run id or "}at least one of --status, --workflow, --before, --after`,
    );
  const ctx = await openContext(args);
  try {
    const filter = await filterOf(args, ctx);
    const preview = await previewBulk(ctx.engine, action, filter);
    const [Verb, done] = VERB[action];
    if (preview.matched === 0) {
      if (ctx.json) printJson({ matched: 0, affected: 0, runIds: [] });
      else console.log(dim(`no runs match; nothing to ${action}`));
      return 0;
    }
    if (!ctx.json) {
      console.log(`${preview.matched} run${preview.matched === 1 ? "" : "s"} match:`);
      for (const id of preview.runIds.slice(0, 10)) console.log(`  ${id}`);
      if (preview.matched > 10) console.log(dim(`  … and ${preview.matched - 10} more`));
    }
    if (!(await confirmed(args, ctx, `${Verb} ${preview.matched} run${preview.matched === 1 ? "" : "s"}?`))) {
      if (ctx.json) printJson({ ...preview, affected: 0 });
      else console.log(dim("nothing done" + (canAsk(ctx) ? "" : ": add --yes to go ahead")));
      return 1;
    }
    const result = await applyBulk(ctx.engine, action, filter, preview.confirmWith);
    const gc = action === "delete" ? await collect(ctx) : undefined;
    if (ctx.json) printJson({ ...result, ...gc });
    else console.log(`${result.affected} of ${result.matched} runs ${done}`);
    return 0;
  } finally {
    await ctx.close();
  }
}

function hasFilter(args: Parsed): boolean {
  return BULK_FLAGS.some((f) => args.has(f));
}

async function filterOf(args: Parsed, ctx: CliContext): Promise<BulkFilter> {
  const filter: BulkFilter = {};
  const status = args.string("status");
  if (status !== undefined) filter.status = status as RunStatus;
  const workflow = args.string("workflow");
  if (workflow !== undefined) filter.workflow = workflow;
  const now = await ctx.journal.now();
  const before = args.string("before");
  if (before !== undefined) filter.createdBefore = when("--before", before, now);
  const after = args.string("after");
  if (after !== undefined) filter.createdAfter = when("--after", after, now);
  return filter;
}

/** A time: an ISO 8601 date or time, ms since the epoch, or a duration meaning that long ago. */
export function when(flag: string, text: string, now: number): number {
  if (/^\d+$/.test(text)) return Number(text);
  if (/^\d{4}-\d\d-\d\d/.test(text)) {
    const t = Date.parse(text);
    if (Number.isFinite(t)) return t;
  }
  try {
    return now - toMs(text, flag);
  } catch {
    throw new UsageError(
      `${flag} takes a time: a date such as 2025-01-31, or how long ago such as 7d or 12h; not "${text}"`,
    );
  }
}

function canAsk(ctx: CliContext): boolean {
  return !ctx.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/** --yes, or a person's y at the terminal; never a guess when nobody can be asked. */
async function confirmed(args: Parsed, ctx: CliContext, question: string): Promise<boolean> {
  if (args.flag("yes")) return true;
  if (!canAsk(ctx)) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await rl.question(`${bold(question)} [y/N] `)).trim().toLowerCase();
    return answer === "y" || answer === "yes";
  } finally {
    rl.close();
  }
}

/** Deleted runs' payloads that nothing else shares (see collectableBefore). */
async function collect(ctx: StoreContext): Promise<{ blobs: number; bytes: number }> {
  return ctx.journal.collectGarbage(ctx.workspace, collectableBefore(ctx.journal, await ctx.journal.now()));
}
