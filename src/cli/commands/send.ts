import { reservedEventProblem } from "../../engine/event-names.js";
import { parse, parseJsonFlag } from "../args.js";
import { openContext } from "../context.js";
import { printJson } from "../format.js";

export const SEND_HELP = `cairn send EVENT [--data JSON] [--id ID] [--json]

Sends an event: runs waiting for it resume and workflows triggered by it start (on the next
\`cairn worker\`). A triggered workflow whose input schema the data does not satisfy gets a
run that failed at once (listed as "failed:"); the event is delivered all the same. An --id
makes sending idempotent.`;

export async function sendCommand(argv: string[]): Promise<number> {
  const args = parse("send", argv, { data: { type: "string" }, id: { type: "string" } });
  const [name, ...extra] = args.positionals;
  if (name === undefined || extra.length > 0) {
    process.stderr.write(`usage: ${SEND_HELP.split("\n")[0]}\n`);
    return 2;
  }
  const reserved = reservedEventProblem(name);
  if (reserved !== undefined) {
    process.stderr.write(`cairn: ${reserved}\n`);
    return 2;
  }
  const data = parseJsonFlag("--data", args.values.data) ?? null;
  const ctx = await openContext(args);
  try {
    const id = args.values.id as string | undefined;
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
