import type { ReplayCheckResult, ReplayDivergence } from "../../engine/replay-check.js";
import { checkReplay } from "../../engine/replay-check.js";
import { ErrorCode, InputError } from "../../shared/errors.js";
import type { Journal } from "../../store/journal.js";
import { checkRunExport } from "../../store/run-export.js";
import { SqliteJournal } from "../../store/sqlite/sqlite-journal.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import { bold, dim, green, printJson, red } from "../format.js";
import { readJson } from "./runs-transfer.js";

const DEFAULT_RUNS = 100;

/**
 * `cairn check-replay`: replays stored journals against the code in cairn.config.ts without
 * executing a step, and reports every run whose path the code no longer follows. Exit 1 if any.
 */
export async function checkReplayCommand(args: Parsed): Promise<number> {
  if (args.positionals.length > 0)
    throw new UsageError(
      `cairn check-replay takes no arguments ("${args.positionals.join(" ")}"); use --run ID`,
    );
  const chosen = ["run", "runs", "file"].filter((f) => args.has(f));
  if (chosen.length > 1)
    throw new UsageError(`give one of --run, --runs and --file, not ${chosen.join(" and ")}`);
  const ctx = await openContext(args);
  let scratch: Journal | undefined;
  try {
    let journal: Journal = ctx.journal;
    let workspace = ctx.workspace;
    let runIds: string[];
    const file = args.string("file");
    if (file !== undefined) {
      // An export (from production, say) is checked from a scratch store in memory.
      const data = checkRunExport(readJson(file), file);
      scratch = new SqliteJournal({ path: ":memory:" });
      await scratch.importRun("default", data);
      [journal, workspace] = [scratch, "default"];
      runIds = data.tables.runs.map((r) => String(r.id));
    } else if (args.string("run") !== undefined) {
      const id = args.string("run")!;
      if ((await journal.getRunSummary(workspace, id)) === undefined)
        throw new InputError(
          ErrorCode.RunNotFound,
          `no run ${id} in this store; \`cairn runs ls\` lists the runs`,
        );
      runIds = [id];
    } else {
      const limit = args.number("runs") ?? DEFAULT_RUNS;
      runIds = (await journal.listRuns(workspace, { limit })).map((r) => r.id);
    }
    const result = await checkReplay({ journal, workspace, registry: ctx.engine.versions, runIds });
    if (ctx.json) printJson(result);
    else print(result);
    return result.diverged.length > 0 ? 1 : 0;
  } finally {
    await scratch?.close();
    await ctx.close();
  }
}

function print(result: ReplayCheckResult): void {
  const checked = result.passed.length + result.diverged.length;
  for (const d of result.diverged) console.log(divergence(d));
  const skipped = result.skipped.length ? dim(`; ${result.skipped.length} not checked`) : "";
  const verdict =
    result.diverged.length === 0
      ? green(`${checked} run${checked === 1 ? " replays" : "s replay"} as recorded`)
      : red(
          `${result.diverged.length} of ${checked} run${checked === 1 ? "" : "s"} diverge from the current code`,
        );
  console.log(`${verdict}${skipped}`);
  for (const s of result.skipped) console.log(dim(`  not checked: ${s.runId}: ${s.why}`));
}

function divergence(d: ReplayDivergence): string {
  const where =
    d.position === null ? "" : ` at position ${d.position}${d.stepId ? ` (step "${d.stepId}")` : ""}`;
  return [
    `${red("DIVERGES")} ${bold(d.runId)} ${dim(`${d.workflow}, ${d.status}${d.version ? `, version ${d.version}` : ""}`)}${where}`,
    `  expected (journal): ${d.expected}`,
    `  found (code now):   ${d.found}`,
    dim(`  ${d.message}`),
  ].join("\n");
}
