// Child process of postgres-scale.ts (not run on its own): one worker process, as `cairn worker`
// builds it — its own PostgresJournal (pool), Engine and Worker — against the benchmark's
// database. Told over IPC: "start" (a new Worker at the given concurrency, started), "stop"
// (worker.stop(), then reports what it executed, the round trips it made to the server and the
// CPU it used since "start"), "exit".
import pg from "pg";
import { Engine } from "../src/engine/engine.js";
import { Worker } from "../src/engine/worker.js";
import { silentLogger, stderrLogger } from "../src/shared/logger.js";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import { chain } from "./postgres-workflows.js";

export type ParentMessage = { cmd: "start"; concurrency: number } | { cmd: "stop" } | { cmd: "exit" };

export type ChildMessage =
  | { type: "ready" }
  | {
      type: "stopped";
      executions: number;
      outcomes: Record<string, number>;
      /** Calls of pg's Client.query: one round trip each (a multi-statement text counts once). */
      queries: number;
      /** User + system CPU of this process between "start" and "stop", µs. */
      cpuUs: number;
    };

/** Counts every query this process sends, whichever pooled connection sends it. */
let queries = 0;
const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
const query = proto.query;
proto.query = function (this: unknown, ...args: unknown[]) {
  queries++;
  return query.apply(this, args);
};

function send(message: ChildMessage): void {
  process.send!(message);
}

async function main(): Promise<void> {
  const [url, maxText] = process.argv.slice(2);
  if (url === undefined || maxText === undefined) throw new Error("usage: <url> <largest concurrency>");
  // A connection per run in hand, and one for a lease renewal or claim beside them.
  const journal = await PostgresJournal.open({ url, max: Number(maxText) + 2 });
  const logger = process.env.CAIRN_BENCH_LOG ? stderrLogger("debug") : silentLogger;
  const engine = new Engine({ journal, workflows: [chain], logger });
  let worker: Worker | undefined;
  let outcomes: Record<string, number> = {};
  let executions = 0;
  let cpu = process.cpuUsage();
  engine.on((p) => {
    if (p.type !== "run.ended") return;
    executions++;
    outcomes[p.status] = (outcomes[p.status] ?? 0) + 1;
  });
  process.on("message", (m: ParentMessage) => {
    void (async () => {
      if (m.cmd === "start") {
        executions = 0;
        outcomes = {};
        queries = 0;
        cpu = process.cpuUsage();
        worker = new Worker(engine, { concurrency: m.concurrency });
        worker.start();
      } else if (m.cmd === "stop") {
        await worker?.stop();
        const used = process.cpuUsage(cpu);
        send({ type: "stopped", executions, outcomes, queries, cpuUs: used.user + used.system });
      } else {
        await worker?.stop();
        await journal.close();
        process.disconnect();
      }
    })().catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  });
  send({ type: "ready" });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
