import { reservedEventProblem } from "../../engine/event-names.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import { printJson } from "../format.js";
import { positionals } from "./runs.js";

/** `cairn send EVENT`: runs waiting for it resume, workflows triggered by it start. */
export async function sendCommand(args: Parsed): Promise<number> {
  const name = positionals(args, 1, "send EVENT [--data JSON] [--id ID]")[0]!;
  const reserved = reservedEventProblem(name);
  if (reserved !== undefined) throw new UsageError(reserved);
  const data = args.json("data")?.value ?? null;
  const ctx = await openContext(args);
  try {
    const id = args.string("id");
    const result = await ctx.engine.send({ name, data, ...(id ? { id } : {}) });
    if (ctx.json) printJson(result);
    else if (!result.created) console.log(`event ${result.eventId} was already sent; nothing changed`);
    else {
      console.log(`sent ${name} as ${result.eventId}`);
      if (result.resumedRuns.length) console.log(`  resumed: ${result.resumedRuns.join(", ")}`);
      if (result.startedRuns.length) console.log(`  started: ${result.startedRuns.join(", ")}`);
      for (const runId of result.failedRuns) {
        const run = await ctx.journal.getRunSummary(ctx.workspace, runId);
        console.log(
          `  failed: ${runId} (${run?.workflow ?? "?"}): ${run?.error?.message ?? "input refused"}`,
        );
      }
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
