import { RUN_STATUSES } from "../store/records.js";
import type { ApprovalStatus } from "../store/records.js";
import type { FlagDefs, Parsed } from "./args.js";
import { KEY_COMMANDS } from "./key-commands.js";
import { SECRET_COMMANDS } from "./secret-commands.js";
import { RUN_LIFECYCLE_COMMANDS } from "./run-lifecycle-commands.js";

/** What a command does once its arguments are parsed; resolves to the exit code. */
export type CommandHandler = (args: Parsed) => Promise<number>;

/**
 * One `cairn` command. This table is the one description of the CLI: `cairn --help`, each
 * command's `--help`, the argument parser and the reference in docs/cli.md are made from it, so a
 * new command (serve, dev, keys…) needs only an entry here and a handler module.
 */
export interface CommandDef {
  /** The words after `cairn`, e.g. "runs ls". */
  name: string;
  /** Other names for it, e.g. "runs list". */
  aliases?: string[];
  /** Positional arguments as shown in usage, e.g. "ID" or "NAME [MESSAGE…]". */
  args?: string;
  /** One line, for `cairn --help` and the reference table. */
  summary: string;
  /** More, for the command's own `--help` and its section of the reference. */
  details?: string;
  flags: FlagDefs;
  /** Loads the handler: a command's code (and what it imports) loads only when it runs. */
  load(): Promise<CommandHandler>;
}

const APPROVAL_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "expired",
  "cancelled",
] as const satisfies readonly ApprovalStatus[];

const DAY_MS = 86_400_000;

const hostFlag = {
  type: "string",
  value: "HOST",
  help: "the address to listen on (default 127.0.0.1: this machine only)",
} as const;

/** Flags `cairn serve` and `cairn dev` share. */
const serveFlags: FlagDefs = {
  port: {
    type: "int",
    value: "N",
    min: 0,
    max: 65535,
    help: "the port (default $PORT or 3000; 0: any free port)",
  },
  cors: {
    type: "string",
    value: "ORIGINS",
    help: "let browsers on these origins call the API, e.g. https://app.example (default: none)",
  },
  rate: {
    type: "int",
    value: "N",
    min: 0,
    max: 1_000_000,
    help: "requests per second per key (default 50; 0: no limit)",
  },
};

const decider = {
  type: "string",
  value: "NAME",
  help: "who decides (default $CAIRN_USER or your login name)",
} as const;
const batch = {
  type: "string",
  value: "BATCH",
  help: "every pending request of this batch (the tool calls of one model turn)",
} as const;

export const COMMANDS: CommandDef[] = [
  {
    name: "demo",
    args: "[TOPIC…]",
    summary: "the hello-world durable agent: topic → image → caption → post, with an approval before posting",
    details: `Without an API key it runs offline on a scripted model that makes real tool calls through the
real agent loop; with OPENAI_API_KEY, ANTHROPIC_API_KEY or CAIRN_DEMO_MODEL (any model spec) it
uses that model. Images and posts go to .cairn/demo/. No config needed.`,
    flags: {
      "crash-after": {
        type: "int",
        value: "N",
        min: 1,
        max: 1000,
        help: "kill this process (SIGKILL) right after model call N is committed",
      },
      resume: {
        type: "boolean",
        help: "finish the latest unfinished demo run; finished calls come from the journal",
      },
      "no-cache": {
        type: "boolean",
        help: "with --resume: run every step again in a new run, for comparison (also CAIRN_DISABLE_CACHE=1)",
      },
    },
    load: () => import("./commands/demo.js").then((m) => m.demoCommand),
  },
  {
    name: "run",
    args: "NAME [MESSAGE…]",
    summary: "start a run of a workflow or an agent and execute it here, printing each step",
    details: `For an agent, the words after NAME are the message (\`cairn run poster "a post about cairns"\`);
for a workflow, --input gives its input as JSON. Timers of up to --follow-for are waited out
here; longer waits leave the run durably waiting for \`cairn worker\`. A pending approval is
asked at the terminal. The steps and the model's tokens are read from the run's log, so they show
the same when a \`cairn worker\` executes the run (it took it first, or --wait-only). Ctrl-C stops
following and leaves the run to the workers: \`cairn runs show ID --follow\` follows it again.`,
    flags: {
      input: {
        type: "json",
        value: "JSON",
        help: "the run's input (a workflow's; an agent's { message, … })",
      },
      session: { type: "string", value: "S", help: "an agent's conversation to continue" },
      user: { type: "string", value: "U", help: "who an agent acts for (its memory is kept per user)" },
      "idempotency-key": {
        type: "string",
        value: "KEY",
        help: "the same key returns the same run instead of starting another",
      },
      detach: { type: "boolean", help: "only enqueue the run; `cairn worker` executes it" },
      "wait-only": {
        type: "boolean",
        help: "execute nothing here: print the run's steps and tokens as a `cairn worker` executes it, until it ends",
      },
      "follow-for": {
        type: "duration",
        value: "DURATION",
        maxMs: 7 * DAY_MS,
        help: "wait out timers up to this long here (default 60s); with --wait-only, for a worker to take the run",
      },
    },
    load: () => import("./commands/run.js").then((m) => m.runCommand),
  },
  {
    name: "worker",
    summary: "execute runnable runs: new, due, resumed by an event, or abandoned by a dead worker",
    details: `Runs of a worker that died are taken over at once when that process is gone from this host,
otherwise when its lease expires. SIGTERM or Ctrl-C stops claiming and lets the runs in hand
finish their current step.`,
    flags: {
      once: { type: "boolean", help: "do all work runnable now, then exit" },
      "fail-unrunnable": {
        type: "boolean",
        help: "fail the runs this worker cannot execute (a workflow or version it lacks), saying why, instead of leaving them for a worker that has it",
      },
      concurrency: { type: "int", value: "N", min: 1, max: 1000, help: "runs executed at once (default 10)" },
    },
    load: () => import("./commands/worker.js").then((m) => m.workerCommand),
  },
  {
    name: "send",
    args: "EVENT",
    summary: "send an event: runs waiting for it resume, workflows triggered by it start",
    details: `A triggered workflow whose input schema the data does not satisfy gets a run that failed at
once (listed as "failed:"); the event is delivered all the same. Cairn's own event names
(approval.*, run.*, step.*, cairn.*) cannot be sent: exit 2.`,
    flags: {
      data: { type: "json", value: "JSON", help: "the event's data (default null)" },
      id: {
        type: "string",
        value: "ID",
        help: "makes sending idempotent: an id already sent changes nothing",
      },
    },
    load: () => import("./commands/send.js").then((m) => m.sendCommand),
  },
  {
    name: "runs ls",
    aliases: ["runs list"],
    summary: "list runs, newest first",
    flags: {
      status: { type: "enum", value: "S", values: RUN_STATUSES, help: "only runs in this status" },
      workflow: { type: "string", value: "W", help: "only runs of this workflow or agent" },
      limit: { type: "int", value: "N", min: 1, max: 10_000, help: "at most N runs (default 50)" },
    },
    load: () => import("./commands/runs-ls.js").then((m) => m.runsLsCommand),
  },
  {
    name: "runs show",
    args: "ID",
    summary: "a run with its steps, attempts, timing, usage and child runs",
    flags: {
      follow: {
        type: "boolean",
        help: "then print the run's log as it grows, whichever process executes it, until it ends (exit 0 when completed); with --json, one entry per line",
      },
    },
    load: () => import("./commands/runs-show.js").then((m) => m.runsShowCommand),
  },
  ...RUN_LIFECYCLE_COMMANDS,
  {
    name: "runs retry-step",
    args: "ID STEP",
    summary: "for a needs-attention run: run the interrupted step again, with the same idempotency key",
    flags: {},
    load: () => import("./commands/runs.js").then((m) => m.runsRetryStepCommand),
  },
  {
    name: "runs skip-step",
    args: "ID STEP",
    summary: "for a needs-attention run: record the step's result by hand and go on",
    flags: { output: { type: "json", value: "JSON", help: "the step's result (default null)" } },
    load: () => import("./commands/runs.js").then((m) => m.runsSkipStepCommand),
  },
  {
    name: "runs export",
    args: "ID",
    summary: "a run's journal (with its child runs) as one JSON file, for runs import or check-replay --file",
    details: `Steps, attempts, waits, log entries, approvals, the events its waits received and its large
payloads, as the store holds them: an export from SQLite imports into PostgreSQL and back.`,
    flags: { out: { type: "string", value: "FILE", help: "write to FILE (default: standard output)" } },
    load: () => import("./commands/runs-transfer.js").then((m) => m.runsExportCommand),
  },
  {
    name: "runs import",
    args: "FILE",
    summary: "store an exported run (and its child runs) here, as it was; - reads standard input",
    details: `Refused if one of its runs is already here. A run that has not ended goes on with a worker here.`,
    flags: {},
    load: () => import("./commands/runs-transfer.js").then((m) => m.runsImportCommand),
  },
  {
    name: "runs migrate",
    args: "ID",
    summary: "move a run that has not ended to another version of its workflow's code",
    details: `The run's journal is first replayed on that version's code (nothing runs): if it diverges the run
is not moved unless --force. --to-version current names the config's code of the workflow.
See docs/versioning.md.`,
    flags: {
      "to-version": { type: "string", value: "V", help: "the version to move to (required), or current" },
      force: { type: "boolean", help: "move it even if its journal does not replay on that version" },
    },
    load: () => import("./commands/runs-migrate.js").then((m) => m.runsMigrateCommand),
  },
  {
    name: "check-replay",
    summary: "replay stored runs against the current code, executing nothing; exit 1 if any diverges",
    details: `Each run's handler runs with steps answered from its journal: a reordered, renamed, inserted or
removed step shows where code and journal part ways (expected, found). Completed runs and runs
in flight alike; in CI, against runs exported from production (cairn runs export).`,
    flags: {
      run: { type: "string", value: "ID", help: "check this run" },
      runs: {
        type: "int",
        value: "N",
        min: 1,
        max: 100_000,
        help: "check the N most recent runs (default 100)",
      },
      file: {
        type: "string",
        value: "EXPORT",
        help: "check the runs of an export (cairn runs export), not this store's",
      },
    },
    load: () => import("./commands/check-replay.js").then((m) => m.checkReplayCommand),
  },
  {
    name: "approvals ls",
    aliases: ["approvals list"],
    summary: "list approval requests (pending ones unless --all or --status)",
    details: `Approval requests are made by tools with needsApproval and by step.waitForApproval. The run
waits, holding no process, until a person decides.`,
    flags: {
      all: { type: "boolean", help: "every request, decided or not" },
      status: { type: "enum", value: "S", values: APPROVAL_STATUSES, help: "only requests in this status" },
    },
    load: () => import("./commands/approvals-ls.js").then((m) => m.approvalsLsCommand),
  },
  {
    name: "approve",
    args: "ID…",
    summary: "approve one or more requests; `cairn worker` then resumes their runs",
    details: `Each id is decided on its own and its outcome reported; the exit code is 1 if any failed.
A request with approvers accepts only them.`,
    flags: {
      args: {
        type: "json",
        value: "JSON",
        help: "approve with changed arguments (checked against the tool's schema); one request only",
      },
      reason: { type: "string", value: "TEXT", help: "why (recorded with the decision)" },
      as: decider,
      batch,
    },
    load: () => import("./commands/approvals.js").then((m) => m.approveCommand),
  },
  {
    name: "reject",
    args: "ID…",
    summary: "reject one or more requests; the agent is told why",
    flags: {
      reason: { type: "string", value: "TEXT", help: "required: the agent is told why, so it can adapt" },
      as: decider,
      batch,
    },
    load: () => import("./commands/approvals.js").then((m) => m.rejectCommand),
  },
  {
    name: "serve",
    summary: "the HTTP API (/v1, streams, chat) with API keys; runs are executed by cairn worker",
    details: `Every request needs an API key (cairn keys create). Binds 127.0.0.1 unless --host is given,
and refuses to listen beyond this machine while no API key exists. SIGTERM: streams end cleanly
(clients resume with Last-Event-ID), requests in flight finish, then the process exits.`,
    flags: { host: hostFlag, ...serveFlags },
    load: () => import("./commands/serve.js").then((m) => m.serveCommand),
  },
  {
    name: "dev",
    summary: "for development: the HTTP API and a worker in one process, on loopback, without keys",
    details: `Every request acts as you, with every scope, in the config's workspace. When cairn.config.ts, a
file beside it or a file it imports from elsewhere changes, it reloads: new runs use the new code. Use cairn serve and cairn worker
with API keys anywhere else.`,
    flags: {
      host: {
        ...hostFlag,
        help: "the loopback address to listen on (default 127.0.0.1; nothing beyond this machine)",
      },
      ...serveFlags,
    },
    load: () => import("./commands/dev.js").then((m) => m.devCommand),
  },
  ...KEY_COMMANDS,
  ...SECRET_COMMANDS,
];

/** Usage of a command in one line: `cairn runs ls [--status S] [--limit N] …`. */
export function usageLine(c: CommandDef): string {
  const flags = Object.entries(c.flags).map(([name, f]) =>
    f.type === "boolean"
      ? `[--${name}]`
      : `[--${name} ${f.value}]${f.type === "string" && f.multiple ? "…" : ""}`,
  );
  return ["cairn", c.name, c.args ?? "", ...flags].filter((p) => p !== "").join(" ");
}

/** Finds the command `argv` names (longest name first), and the arguments after its name. */
export function findCommand(argv: string[]): { command: CommandDef; rest: string[] } | undefined {
  let best: { command: CommandDef; rest: string[]; words: number } | undefined;
  for (const command of COMMANDS) {
    for (const name of [command.name, ...(command.aliases ?? [])]) {
      const words = name.split(" ");
      if (words.every((w, i) => argv[i] === w) && (best === undefined || words.length > best.words))
        best = { command, rest: argv.slice(words.length), words: words.length };
    }
  }
  return best && { command: best.command, rest: best.rest };
}

/** Commands whose name starts with `word`: the subcommands of a group such as "runs". */
export function commandsUnder(word: string): CommandDef[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${word} `));
}
