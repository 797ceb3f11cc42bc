import { userInfo } from "node:os";
import { decideApproval, isToolApprovalRequest } from "../../agent/tool-approval.js";
import type { ApprovalRecord, ApprovalStatus } from "../../store/records.js";
import { parse, parseJsonFlag, UsageError } from "../args.js";
import { openContext } from "../context.js";
import type { CliContext } from "../context.js";
import { bold, dim, green, preview, printJson, red, table, time, yellow } from "../format.js";

export const APPROVALS_HELP = `cairn approvals ls [--all] [--status S] [--json]
cairn approve ID… [--args JSON] [--reason TEXT] [--as NAME] [--json]
cairn approve --batch BATCH [--as NAME]
cairn reject ID… --reason TEXT [--as NAME] [--json]

Approval requests are made by tools with needsApproval and by step.waitForApproval. The run
waits, holding no process, until a person decides. --args approves with changed arguments
(checked against the tool's schema). --as names the decider (default $CAIRN_USER or your
login name); a request with approvers accepts only them. \`cairn worker\` then resumes the run.`;

/** Who is deciding: --as, $CAIRN_USER, or the login name. */
export function deciderName(flag: string | boolean | undefined): string {
  if (typeof flag === "string" && flag !== "") return flag;
  return process.env.CAIRN_USER || userInfo().username;
}

export async function approvalsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "ls" && sub !== "list")
    throw new UsageError(`cairn approvals: unknown subcommand "${sub ?? ""}"\n\n${APPROVALS_HELP}`);
  const args = parse("approvals ls", rest, { all: { type: "boolean" }, status: { type: "string" } });
  const ctx = await openContext(args);
  try {
    const status =
      (args.values.status as ApprovalStatus | undefined) ?? (args.values.all ? undefined : "pending");
    const list = await ctx.journal.listApprovals(ctx.workspace, {
      ...(status ? { status } : {}),
      limit: 500,
    });
    if (ctx.json) printJson(list);
    else printApprovals(list);
    return 0;
  } finally {
    await ctx.close();
  }
}

function printApprovals(list: ApprovalRecord[]): void {
  if (list.length === 0) {
    console.log(dim("no approval requests waiting"));
    return;
  }
  const rows = [["ID", "STATUS", "REQUESTED", "RUN", "WHAT", "ARGUMENTS"].map((h) => dim(h))];
  for (const a of list) {
    const req = a.request;
    rows.push([
      a.id,
      a.status === "pending" ? yellow(a.status) : a.status === "approved" ? green(a.status) : red(a.status),
      time(a.createdAt),
      a.runId,
      a.title,
      isToolApprovalRequest(req) ? preview(req.args, 70) : preview(req, 70),
    ]);
  }
  console.log(table(rows));
  console.log(
    dim("\napprove: cairn approve ID   ·   reject: cairn reject ID --reason TEXT   ·   details: --json"),
  );
}

export async function approveCommand(argv: string[]): Promise<number> {
  return decideCommand("approve", argv, true);
}

export async function rejectCommand(argv: string[]): Promise<number> {
  return decideCommand("reject", argv, false);
}

async function decideCommand(verb: string, argv: string[], approve: boolean): Promise<number> {
  const args = parse(verb, argv, {
    args: { type: "string" },
    reason: { type: "string" },
    as: { type: "string" },
    batch: { type: "string" },
  });
  const reason = args.values.reason as string | undefined;
  if (!approve && (reason === undefined || reason.trim() === "")) {
    throw new UsageError(`cairn reject needs --reason TEXT: the agent is told why, so it can adapt`);
  }
  const edited = parseJsonFlag("--args", args.values.args);
  const ctx = await openContext(args);
  try {
    const ids = await targets(ctx, args.positionals, args.values.batch as string | undefined, verb);
    if (edited !== undefined && ids.length !== 1)
      throw new UsageError("--args applies to one approval at a time");
    const by = deciderName(args.values.as);
    const decided: ApprovalRecord[] = [];
    for (const id of ids) {
      decided.push(
        await decideApproval(ctx.engine, ctx.agents, id, {
          approve,
          by,
          ...(reason !== undefined ? { reason } : {}),
          ...(edited !== undefined ? { args: edited } : {}),
        }),
      );
    }
    if (ctx.json) printJson(decided);
    else {
      for (const a of decided)
        console.log(
          `${approve ? green("approved") : red("rejected")} ${bold(a.id)} ${dim(`(${a.title}) by ${by}`)}`,
        );
      console.log(
        dim("`cairn worker` resumes the run (a `cairn run` still attached picks it up by itself)."),
      );
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

async function targets(
  ctx: CliContext,
  ids: string[],
  batch: string | undefined,
  verb: string,
): Promise<string[]> {
  if (batch !== undefined) {
    const pending = await ctx.journal.listApprovals(ctx.workspace, { status: "pending", limit: 100_000 });
    const inBatch = pending.filter((a) => a.batchId === batch).map((a) => a.id);
    if (inBatch.length === 0) throw new UsageError(`no pending approvals in batch ${batch}`);
    return [...ids, ...inBatch];
  }
  if (ids.length === 0) throw new UsageError(`usage: cairn ${verb} ID… (see \`cairn approvals ls\`)`);
  return ids;
}
