import { RUN_STATUSES } from "../store/records.js";
import type { FlagDefs } from "./args.js";
import type { CommandDef } from "./command-table.js";

/** Flags that pick the runs of a bulk action (cancel, rerun, rm). */
const bulkFlags: FlagDefs = {
  status: { type: "enum", value: "S", values: RUN_STATUSES, help: "runs in this status" },
  workflow: { type: "string", value: "W", help: "runs of this workflow or agent" },
  before: {
    type: "string",
    value: "WHEN",
    help: "runs created before: a date (2025-01-31) or how long ago (7d)",
  },
  after: { type: "string", value: "WHEN", help: "runs created after: a date or how long ago (12h)" },
  yes: { type: "boolean", help: "go ahead without asking (needed when nobody is at a terminal)" },
};

/**
 * The entries of the command table (see command-table.ts) that act on runs as a whole: cancel,
 * rerun, delete (one or many, by filter), fork and diff.
 */
export const RUN_LIFECYCLE_COMMANDS: CommandDef[] = [
  {
    name: "runs cancel",
    args: "[ID]",
    summary:
      "cancel a run (and its child runs), or every run the filter flags match; a running one stops at its next step",
    details: `With filter flags instead of an ID: the runs that match and have not ended are counted and
listed, then cancelled once confirmed (--yes, or y at the terminal).`,
    flags: { reason: { type: "string", value: "TEXT", help: "why (shown with the run)" }, ...bulkFlags },
    load: () => import("./commands/runs-bulk.js").then((m) => m.runsCancelCommand),
  },
  {
    name: "runs rerun",
    summary: "start every run the filter flags match again, from the start, with the same input",
    details: `The runs that match are counted and listed, then a new run is started for each once confirmed
(--yes, or y at the terminal). To rerun one run from a step, use cairn runs fork.`,
    flags: bulkFlags,
    load: () => import("./commands/runs-bulk.js").then((m) => m.runsRerunCommand),
  },
  {
    name: "runs rm",
    args: "[ID]",
    summary: "delete an ended run (and its child runs), or every ended run the filter flags match",
    details: `Its steps, log, waits and approvals go with it, and then the payloads no other run shares. A
run that has not ended is refused: cancel it first. With filter flags: counted, listed, deleted
once confirmed (--yes, or y at the terminal). Workers also delete old runs by themselves with
retention: { completed: "30d", failed: "90d" } in cairn.config.ts.`,
    flags: bulkFlags,
    load: () => import("./commands/runs-bulk.js").then((m) => m.runsRmCommand),
  },
  {
    name: "runs fork",
    args: "ID",
    summary: "rerun a run from a step, with changes: the steps before it are reused, not executed again",
    details: `A new run of the same workflow or agent gets the original's journal before --from (payloads
shared, nothing before it executed or paid for again) and executes from there, its workspace files
as they were before --from; the original is untouched. --output replaces a step's result (for a step before --from, or --from itself, which
then is not run). For an agent, --model and --instructions apply to its model calls from the fork
on. cairn worker executes the new run.`,
    flags: {
      from: {
        type: "string",
        value: "STEP",
        help: "the step to execute again, and every step after it (required)",
      },
      input: { type: "json", value: "JSON", help: "a new input for the run (default: the original's)" },
      output: {
        type: "string",
        value: "STEP=JSON",
        multiple: true,
        help: "use this result for a step instead of the original's",
      },
      model: { type: "string", value: "M", help: "an agent's model from the fork on, e.g. openai:gpt-4.1" },
      instructions: { type: "string", value: "TEXT", help: "an agent's instructions from the fork on" },
    },
    load: () => import("./commands/runs-fork.js").then((m) => m.runsForkCommand),
  },
  {
    name: "runs diff",
    args: "A B",
    summary:
      "compare two runs: their steps aligned, with outputs, errors, tokens, cost and time, and where they diverge",
    flags: {},
    load: () => import("./commands/runs-diff.js").then((m) => m.runsDiffCommand),
  },
];
