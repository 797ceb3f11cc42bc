#!/usr/bin/env node
import { CairnError } from "../shared/errors.js";
import { UsageError } from "./args.js";
import { approvalsCommand, approveCommand, rejectCommand, APPROVALS_HELP } from "./commands/approvals.js";
import { demoCommand, DEMO_HELP } from "./commands/demo.js";
import { devCommand, DEV_HELP } from "./commands/dev.js";
import { keysCommand, KEYS_HELP } from "./commands/keys.js";
import { runCommand, RUN_HELP } from "./commands/run.js";
import { runsCommand, RUNS_HELP } from "./commands/runs.js";
import { sendCommand, SEND_HELP } from "./commands/send.js";
import { serveCommand, SERVE_HELP } from "./commands/serve.js";
import { workerCommand, WORKER_HELP } from "./commands/worker.js";

const HELP = `cairn: a durable agent runtime

  cairn demo                      see a workflow survive a crash (no config needed)
  cairn run NAME [--input JSON]   start a run and execute it here, step by step
  cairn worker [--once]           execute runnable runs (new, due, recovered)
  cairn serve [--host H] [--port N]   the HTTP API (needs API keys; runs executed by workers)
  cairn dev [--port N]            the API and a worker in one process, on this machine, no keys
  cairn keys create|ls|revoke     API keys for cairn serve
  cairn send EVENT [--data JSON]  send an event to waiting and triggered runs
  cairn runs ls|show|cancel|retry-step|skip-step
  cairn approvals ls · cairn approve ID · cairn reject ID --reason TEXT

Global flags: --config PATH (default ./cairn.config.ts), --store URL (default
$CAIRN_STORE or sqlite:.cairn/cairn.db), --json. \`cairn <verb> --help\` for more.`;

const VERBS: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  demo: { run: demoCommand, help: DEMO_HELP },
  run: { run: runCommand, help: RUN_HELP },
  worker: { run: workerCommand, help: WORKER_HELP },
  send: { run: sendCommand, help: SEND_HELP },
  runs: { run: runsCommand, help: RUNS_HELP },
  approvals: { run: approvalsCommand, help: APPROVALS_HELP },
  approve: { run: approveCommand, help: APPROVALS_HELP },
  reject: { run: rejectCommand, help: APPROVALS_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  dev: { run: devCommand, help: DEV_HELP },
  keys: { run: keysCommand, help: KEYS_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "help" || verb === "--help" || verb === "-h") {
    console.log(HELP);
    return verb === undefined ? 2 : 0;
  }
  const command = VERBS[verb];
  if (command === undefined) throw new UsageError(`unknown command "${verb}"\n\n${HELP}`);
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  return command.run(rest);
}

// A reader that went away (`cairn runs ls | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`cairn: ${err.message}`);
      process.exitCode = 2;
    } else if (CairnError.is(err)) {
      console.error(`cairn: ${err.message}`);
      if (process.env.CAIRN_DEBUG) console.error(err.stack);
      process.exitCode = 1;
    } else {
      console.error(`cairn: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
      process.exitCode = 1;
    }
  },
);
