import { userInfo } from "node:os";
import { decideApproval } from "../../agent/tool-approval.js";
import { CairnError } from "../../shared/errors.js";
import type { ApprovalRecord } from "../../store/records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import type { CliContext } from "../engine-context.js";
import { bold, dim, green, printJson, red } from "../format.js";

/** Who is deciding: --as, $CAIRN_USER, or the login name. */
export function deciderName(flag: string | undefined): string {
  if (flag !== undefined && flag !== "") return flag;
  return process.env.CAIRN_USER || userInfo().username;
}

export function approveCommand(args: Parsed): Promise<number> {
  return decideCommand("approve", args, true);
}

export function rejectCommand(args: Parsed): Promise<number> {
  return decideCommand("reject", args, false);
}

/** What happened to one id: decided, or why not. */
type Outcome =
  | { id: string; decided: true; approval: ApprovalRecord }
  | { id: string; decided: false; error: { code: string | null; message: string } };

/**
 * Decides each id on its own and reports each outcome: a typo among several ids fails only
 * itself, and an id given twice (or also in --batch) is decided once. Exit 1 if any failed.
 */
async function decideCommand(verb: string, args: Parsed, approve: boolean): Promise<number> {
  const reason = args.string("reason");
  if (!approve && (reason === undefined || reason.trim() === ""))
    throw new UsageError(`cairn reject needs --reason TEXT: the agent is told why, so it can adapt`);
  const batch = args.string("batch");
  if (args.positionals.length === 0 && batch === undefined)
    throw new UsageError(`usage: cairn ${verb} ID… or --batch BATCH (see \`cairn approvals ls\`)`);
  const edited = args.json("args");
  if (edited !== undefined && (args.positionals.length !== 1 || batch !== undefined))
    throw new UsageError("--args applies to one approval at a time: give exactly one ID and no --batch");
  const ctx = await openContext(args);
  try {
    const outcomes: Outcome[] = [];
    const ids = [...args.positionals];
    if (batch !== undefined) {
      const inBatch = await pendingInBatch(ctx, batch);
      if (inBatch.length === 0)
        outcomes.push({
          id: batch,
          decided: false,
          error: { code: null, message: `no pending approvals in batch ${batch}` },
        });
      ids.push(...inBatch);
    }
    const by = deciderName(args.string("as"));
    for (const id of new Set(ids)) {
      try {
        const approval = await decideApproval(ctx.engine, ctx.agents, id, {
          approve,
          by,
          ...(reason !== undefined ? { reason } : {}),
          ...(edited !== undefined ? { args: edited.value } : {}),
        });
        outcomes.push({ id, decided: true, approval });
      } catch (err) {
        if (!CairnError.is(err)) throw err;
        outcomes.push({ id, decided: false, error: { code: err.code, message: err.message } });
      }
    }
    report(ctx, outcomes, approve, by);
    return outcomes.every((o) => o.decided) ? 0 : 1;
  } finally {
    await ctx.close();
  }
}

async function pendingInBatch(ctx: CliContext, batch: string): Promise<string[]> {
  const pending = await ctx.journal.listApprovals(ctx.workspace, { status: "pending", limit: 100_000 });
  return pending.filter((a) => a.batchId === batch).map((a) => a.id);
}

function report(ctx: CliContext, outcomes: Outcome[], approve: boolean, by: string): void {
  if (ctx.json) {
    printJson(outcomes);
    return;
  }
  for (const o of outcomes) {
    if (o.decided)
      console.log(
        `${approve ? green("approved") : red("rejected")} ${bold(o.id)} ${dim(`(${o.approval.title}) by ${by}`)}`,
      );
    else console.error(`cairn: ${o.id}: ${o.error.message}`);
  }
  if (outcomes.some((o) => o.decided))
    console.log(dim("`cairn worker` resumes the run (a `cairn run` still attached picks it up by itself)."));
}
