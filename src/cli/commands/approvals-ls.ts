import { isToolApprovalRequest } from "../../agent/tool-approval.js";
import type { ApprovalRecord, ApprovalStatus } from "../../store/records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openStore } from "../context.js";
import { dim, green, preview, printJson, red, table, time, yellow } from "../format.js";

/** `cairn approvals ls`: pending requests (or all, or one status). Needs only the store. */
export async function approvalsLsCommand(args: Parsed): Promise<number> {
  if (args.positionals.length > 0)
    throw new UsageError(`cairn approvals ls takes no arguments; filter with --status S or --all`);
  if (args.flag("all") && args.has("status"))
    throw new UsageError("--all and --status contradict each other: give one of them");
  const ctx = await openStore(args, { readOnly: true });
  try {
    const status =
      (args.string("status") as ApprovalStatus | undefined) ?? (args.flag("all") ? undefined : "pending");
    const list = await ctx.journal.listApprovals(ctx.workspace, {
      ...(status ? { status } : {}),
      limit: 500,
    });
    if (ctx.json) printJson(list);
    else printApprovals(list, status);
    return 0;
  } finally {
    await ctx.close();
  }
}

function printApprovals(list: ApprovalRecord[], status: ApprovalStatus | undefined): void {
  if (list.length === 0) {
    console.log(dim(status ? `no ${status} approval requests` : "no approval requests"));
    return;
  }
  const batches = list.some((a) => a.batchId !== null);
  const head = ["ID", "STATUS", "REQUESTED", "RUN", ...(batches ? ["BATCH"] : []), "WHAT", "ARGUMENTS"];
  const rows = [head.map((h) => dim(h))];
  for (const a of list) {
    const req = a.request;
    rows.push([
      a.id,
      a.status === "pending" ? yellow(a.status) : a.status === "approved" ? green(a.status) : red(a.status),
      time(a.createdAt),
      a.runId,
      ...(batches ? [a.batchId ?? ""] : []),
      a.title,
      isToolApprovalRequest(req) ? preview(req.args, 70) : preview(req, 70),
    ]);
  }
  console.log(table(rows));
  console.log(
    dim(
      `\napprove: cairn approve ID   ·   reject: cairn reject ID --reason TEXT${batches ? "   ·   a whole batch: --batch BATCH" : ""}   ·   details: --json`,
    ),
  );
}
