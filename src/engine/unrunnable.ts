import { ErrorCode, InputError } from "../shared/errors.js";
import { serializeError } from "../shared/serialized-error.js";
import type { Engine } from "./engine.js";
import { isPinnedVersion } from "./workflow.js";

/** Runs that have not ended and that this engine cannot execute, grouped by what is missing. */
export interface UnrunnableRuns {
  workflow: string;
  /** The version the runs need (their author set it); null when the workflow itself is missing. */
  version: string | null;
  why: "unknown-workflow" | "unknown-version";
  runs: number;
  oldestRunId: string;
  /** What to do, for a person (`{id}` stands for a run's id). */
  fix: string;
}

/**
 * The runs of this engine's workspace that no worker with this engine's code can execute: runs of
 * a workflow it does not have (removed from the config), and runs started on a version (set by
 * its author) it does not have. Left alone they would wait for a worker that has the code.
 */
export async function findUnrunnable(engine: Engine): Promise<UnrunnableRuns[]> {
  const out: UnrunnableRuns[] = [];
  const registry = engine.versions;
  const missing = new Map<string, UnrunnableRuns>();
  for (const g of await engine.journal.countActiveRuns(engine.workspace)) {
    if (!registry.has(g.workflow)) {
      const seen = missing.get(g.workflow);
      if (seen !== undefined) {
        seen.runs += g.runs;
        if (g.oldestRunId < seen.oldestRunId) seen.oldestRunId = g.oldestRunId;
        continue;
      }
      const entry: UnrunnableRuns = {
        workflow: g.workflow,
        version: null,
        why: "unknown-workflow",
        runs: g.runs,
        oldestRunId: g.oldestRunId,
        fix:
          `no worker here has workflow "${g.workflow}": add it back to cairn.config.ts (a worker that has it resumes the run), ` +
          `or cancel the run: cairn runs cancel {id}`,
      };
      missing.set(g.workflow, entry);
      out.push(entry);
      continue;
    }
    if (!isPinnedVersion(g.version) || registry.versionsOf(g.workflow).includes(g.version)) continue;
    const current = registry.get(g.workflow).version;
    const move = isPinnedVersion(current)
      ? `cairn runs migrate {id} --to-version ${current}`
      : `cairn runs migrate {id} --to-version current`;
    out.push({
      workflow: g.workflow,
      version: g.version,
      why: "unknown-version",
      runs: g.runs,
      oldestRunId: g.oldestRunId,
      fix:
        `started on version "${g.version}" of workflow "${g.workflow}", which no worker here has (here: ${registry.versionsOf(g.workflow).join(", ") || current}): ` +
        `keep version "${g.version}" in cairn.config.ts until its runs end, or move the run to this code: ${move}`,
    });
  }
  return out;
}

/**
 * Finds the runs this engine cannot execute, says so loudly in the log (one error per workflow or
 * version, naming a run and the fix), and notes the fix on each such run, so `cairn runs ls`
 * shows it until a worker that has the code takes the run.
 */
export async function reportUnrunnable(
  engine: Engine,
  options: { log?: boolean } = {},
): Promise<UnrunnableRuns[]> {
  const found = await findUnrunnable(engine);
  for (const u of found) {
    await engine.journal.noteUnrunnable(
      engine.workspace,
      { workflow: u.workflow, ...(u.version !== null ? { version: u.version } : {}) },
      u.fix,
    );
    if (options.log === false) continue;
    engine.logger.error(describeUnrunnable(u), {
      workflow: u.workflow,
      version: u.version,
      runs: u.runs,
      runId: u.oldestRunId,
    });
  }
  return found;
}

/** One line for a person: how many runs, of what, which one, and the fix. */
export function describeUnrunnable(u: UnrunnableRuns): string {
  const what =
    u.version === null ? `workflow "${u.workflow}"` : `version "${u.version}" of workflow "${u.workflow}"`;
  return `${u.runs} run${u.runs === 1 ? "" : "s"} of ${what} cannot be executed by this worker, e.g. ${u.oldestRunId}: ${u.fix.replaceAll("{id}", u.oldestRunId)}`;
}

/**
 * Fails the runs this engine cannot execute, each with an error saying why and what to do,
 * instead of leaving them for a worker that has their code (`cairn worker --fail-unrunnable`).
 * Only runs a worker could take now are failed: queued or due, or abandoned by a dead worker; a
 * run still sleeping is failed once it falls due. Returns the ids of the runs failed.
 */
export async function failUnrunnable(engine: Engine): Promise<string[]> {
  const failed: string[] = [];
  for (const u of await findUnrunnable(engine)) {
    const runs = await engine.journal.listRuns(engine.workspace, {
      workflow: u.workflow,
      active: true,
      limit: 10_000,
    });
    for (const run of runs) {
      if (u.version !== null && run.version !== u.version) continue;
      const lease = await engine.journal.claimRun(
        {
          workspace: engine.workspace,
          owner: engine.owner,
          ttlMs: engine.leaseTtlMs,
          limit: 1,
          workflows: [u.workflow],
        },
        run.id,
      );
      if (lease === undefined) continue;
      const error = new InputError(
        u.version === null ? ErrorCode.UnknownWorkflow : ErrorCode.UnknownVersion,
        `failed by a worker that cannot execute it: ${u.fix.replaceAll("{id}", run.id)}; start the work again on code that has it`,
      );
      await engine.journal.failRun(lease, serializeError(error));
      failed.push(run.id);
    }
  }
  return failed;
}
