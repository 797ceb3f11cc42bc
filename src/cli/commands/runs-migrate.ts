import { checkReplay } from "../../engine/replay-check.js";
import { isPinnedVersion } from "../../engine/workflow.js";
import { ErrorCode, InputError, NotFoundError } from "../../shared/errors.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import { printJson, red } from "../format.js";
import { positionals } from "./runs.js";

/**
 * `cairn runs migrate ID --to-version V`: an operator moves a run to another version of its
 * workflow's code, after checking that its journal replays on that code (unless --force).
 */
export async function runsMigrateCommand(args: Parsed): Promise<number> {
  const [id] = positionals(args, 1, "runs migrate ID --to-version V") as [string];
  const wanted = args.string("to-version");
  if (wanted === undefined)
    throw new UsageError("cairn runs migrate needs --to-version V (or --to-version current)");
  const ctx = await openContext(args);
  try {
    const run = await ctx.journal.getRun(ctx.workspace, id);
    if (run === undefined)
      throw new NotFoundError(ErrorCode.RunNotFound, `no run ${id}; \`cairn runs ls\` lists the runs`);
    const registry = ctx.engine.versions;
    const current = registry.get(run.workflow);
    const code = wanted === "current" ? current : registry.withVersion(run.workflow, wanted);
    if (code === undefined) {
      const have = registry.versionsOf(run.workflow);
      throw new InputError(
        ErrorCode.UnknownVersion,
        `workflow "${run.workflow}" has no version "${wanted}" in this config (${have.length ? `it has: ${have.join(", ")}` : `its version here is ${current.version}`}); --to-version current moves the run to the code here`,
      );
    }
    const check = await checkReplay({
      journal: ctx.journal,
      workspace: ctx.workspace,
      registry,
      runIds: [id],
      code,
    });
    const diverged = check.diverged[0];
    if (diverged !== undefined && !args.flag("force")) {
      const text =
        `run ${id} does not replay on version ${code.version}: at ${diverged.stepId ? `step "${diverged.stepId}"` : "its end"} ` +
        `the journal has ${diverged.expected}, the code ${diverged.found}. Not migrated (--force migrates anyway).`;
      if (ctx.json) printJson({ runId: id, migrated: false, divergence: diverged });
      else console.error(red(text));
      return 1;
    }
    const moved = await ctx.journal.migrateRun(ctx.workspace, id, code.version);
    if (ctx.json) printJson({ runId: id, migrated: true, from: run.version, to: moved.version });
    else
      console.log(
        `run ${id} moved from version ${run.version ?? "(none recorded)"} to ${code.version}${
          isPinnedVersion(code.version) ? "" : " (this config's code)"
        }; a worker with it goes on with the run`,
      );
    return 0;
  } finally {
    await ctx.close();
  }
}
