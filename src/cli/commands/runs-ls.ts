import type { RunStatus } from "../../store/records.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openStore } from "../context.js";
import { dim, duration, oneLine, printJson, statusText, table, time } from "../format.js";

/** `cairn runs ls`: runs, newest first. Needs only the store, not an engine. */
export async function runsLsCommand(args: Parsed): Promise<number> {
  if (args.positionals.length > 0)
    throw new UsageError(
      `cairn runs ls takes no arguments ("${args.positionals.join(" ")}"); filter with --status S or --workflow W`,
    );
  const ctx = await openStore(args, { readOnly: true });
  try {
    const status = args.string("status") as RunStatus | undefined;
    const workflow = args.string("workflow");
    const runs = await ctx.journal.listRuns(ctx.workspace, {
      ...(status ? { status } : {}),
      ...(workflow ? { workflow } : {}),
      limit: args.number("limit") ?? 50,
    });
    if (ctx.json) {
      printJson(runs);
      return 0;
    }
    if (runs.length === 0) {
      console.log(dim("no runs"));
      return 0;
    }
    const now = await ctx.journal.now();
    const rows = [["ID", "WORKFLOW", "STATUS", "CREATED", "DURATION", "NOTE"].map((h) => dim(h))];
    for (const r of runs) {
      rows.push([
        r.id,
        r.workflow,
        statusText(r.status),
        time(r.createdAt),
        r.startedAt ? duration((r.endedAt ?? now) - r.startedAt) : "",
        oneLine(r.reason ?? r.error?.message ?? "", 60),
      ]);
    }
    console.log(table(rows));
    return 0;
  } finally {
    await ctx.close();
  }
}
