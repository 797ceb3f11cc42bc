import type { JournalEntry } from "../../store/records.js";
import type { CliContext } from "../engine-context.js";
import { dim, preview, statusText } from "../format.js";
import { StoreOutage } from "../store-outage.js";

/**
 * `cairn runs show ID --follow`: prints the run's log as it grows, whichever process executes
 * the run, until the run ends. Exit 0 when it completed, 1 when it failed or was cancelled.
 * With --json, one entry per line.
 */
export async function followRun(ctx: CliContext, id: string, afterSeq: number): Promise<number> {
  const outage = new StoreOutage(id);
  const log = ctx.engine.follow(id, { afterSeq, onStoreError: (err, ms) => outage.failed(err, ms) });
  for (;;) {
    const next = await log.next();
    outage.answered();
    if (next.done) {
      if (!ctx.json && next.value) console.log(`${id} ${statusText(next.value)}`);
      return next.value === "completed" ? 0 : 1;
    }
    print(ctx, next.value);
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
