import { forkWithChanges } from "../../agent/fork-agent-run.js";
import type { ForkRequest } from "../../agent/fork-agent-run.js";
import { workspaceForkRestore } from "../../tools/workspace/fork-restore.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import { openContext } from "../engine-context.js";
import { dim, printJson } from "../format.js";
import { positionals } from "./runs.js";

/**
 * `cairn runs fork ID --from STEP`: a new run that reuses ID's journal before STEP and executes
 * from there, with a new input, replaced step outputs, or (an agent) another model or instructions.
 */
export async function runsForkCommand(args: Parsed): Promise<number> {
  const id = positionals(args, 1, "runs fork ID --from STEP")[0]!;
  const from = args.string("from");
  if (from === undefined)
    throw new UsageError(
      "cairn runs fork needs --from STEP: the step to execute again (see cairn runs show ID)",
    );
  const request: ForkRequest = { from, stepOutputs: stepOutputs(args.list("output")) };
  const input = args.json("input");
  if (input !== undefined) request.input = input.value;
  const model = args.string("model");
  const instructions = args.string("instructions");
  if (model !== undefined || instructions !== undefined)
    request.agent = {
      ...(model !== undefined ? { model } : {}),
      ...(instructions !== undefined ? { instructions } : {}),
    };
  const ctx = await openContext(args);
  try {
    request.restore = workspaceForkRestore(ctx.engine.journal, ctx.engine.workspace);
    const fork = await forkWithChanges(ctx.engine, ctx.agents, id, request);
    if (ctx.json) printJson(fork);
    else {
      console.log(`run ${fork.id} forked from ${id} at step "${from}"; the steps before it are reused`);
      console.log(dim(`cairn worker executes it; follow it with: cairn runs show ${fork.id} --follow`));
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

/** `--output STEP=JSON`, each; a value that is not JSON is taken as a string. */
function stepOutputs(values: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    if (eq <= 0)
      throw new UsageError(`--output takes STEP=JSON, e.g. --output 'tool.search={"hits":[]}'; not "${v}"`);
    const text = v.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    out[v.slice(0, eq)] = value;
  }
  return out;
}
