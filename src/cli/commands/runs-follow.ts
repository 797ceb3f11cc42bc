import type { JournalEntry } from "../../store/records.js";
import type { CliContext } from "../context.js";
import { dim, preview, statusText } from "../format.js";

const ENDED = new Set(["completed", "failed", "cancelled"]);
const POLL_MS = 250;

/**
 * `cairn runs show ID --follow`: prints the run's log as it grows, whichever process executes
 * the run (the log is read from the store), until the run ends. Exit 0 when it completed, 1
 * when it failed or was cancelled. With --json, one entry per line.
 */
export async function followRun(ctx: CliContext, id: string, afterSeq: number): Promise<number> {
  let seq = afterSeq;
  for (;;) {
    const entries = await ctx.journal.readEntries(ctx.workspace, id, seq);
    for (const e of entries) {
      print(ctx, e);
      seq = e.seq;
    }
    const run = await ctx.journal.getRunSummary(ctx.workspace, id);
    if (run !== undefined && ENDED.has(run.status) && entries.length === 0) {
      if (!ctx.json) console.log(`${id} ${statusText(run.status)}`);
      return run.status === "completed" ? 0 : 1;
    }
    if (entries.length === 0) await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function print(ctx: CliContext, e: JournalEntry): void {
  if (ctx.json) {
    console.log(JSON.stringify(e));
    return;
  }
  const at = new Date(e.at).toISOString().slice(11, 23);
  const detail = Object.keys(e.data).length > 0 ? dim(preview(e.data, 100)) : "";
  console.log(`${dim(at)}  ${e.type.padEnd(20)} ${(e.stepId ?? "").padEnd(16)} ${detail}`.trimEnd());
}
