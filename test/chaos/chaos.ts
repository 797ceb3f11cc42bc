import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine.js";
import { silentLogger } from "../../src/shared/logger.js";
import { createRuns, decideApprovals, sendEvents, waitForAll } from "./clients.js";
import { Faults, killer, zombie } from "./faults.js";
import type { PostgresFaults } from "./postgres-target.js";
import { postgresTarget } from "./postgres-target.js";
import type { SqliteFaults } from "./sqlite-target.js";
import { sqliteTarget } from "./sqlite-target.js";
import type { ChaosTarget } from "./target.js";
import type { ChaosReport } from "./verify.js";
import { verify } from "./verify.js";
import { WorkerProcess } from "./worker-process.js";
import { chaosWorkflows } from "./workflows.js";

export interface ChaosOptions {
  workers: number;
  runs: number;
  /** How long the faults go on; runs are created over its first half. */
  durationMs: number;
  /** Mean time between SIGKILLs of a random worker (each restarted at once). */
  killEveryMs: number;
  /** Claims raced by two connections (two processes on SQLite) at the end. */
  claimRaces: number;
  /** The store, and the faults of its own. */
  store: ({ kind: "postgres" } & PostgresFaults) | ({ kind: "sqlite" } & SqliteFaults);
  /** Lines of progress as the test goes; the default prints nothing. */
  onProgress?: (line: string) => void;
}

/** The workers' lease (chaos.config.ts): a killed or frozen worker's runs are taken over within seconds. */
const LEASE_TTL_MS = 3_000;

/**
 * The chaos test: `workers` real `cairn worker` processes on one store, `runs` runs of mixed
 * workflows, and faults while they run: SIGKILLs and a frozen worker (SIGSTOP past its lease,
 * then SIGCONT) on both stores; on PostgreSQL a network outage and database crashes; on SQLite
 * another process holding the write lock for seconds and a CPU hog. Then two claimers race.
 * Returns what the checker found; `report.violations` lists every broken invariant.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.onProgress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "cairn-chaos-"));
  const execLog = join(dir, "executions.jsonl");
  closeSync(openSync(execLog, "a"));
  const workers: WorkerProcess[] = [];
  let target: ChaosTarget | undefined;
  try {
    const { store } = options;
    target = store.kind === "postgres" ? await postgresTarget(store) : sqliteTarget(dir, store);
    const client = new Engine({ journal: target.client, workflows: chaosWorkflows, logger: silentLogger });
    const env = { ...process.env, CAIRN_STORE: target.storeUrl, CAIRN_CHAOS_LOG: execLog };
    for (let i = 0; i < options.workers; i++) workers.push(new WorkerProcess(i, dir, env));
    say(`${options.workers} workers on ${target.describe}`);

    const faults = new Faults(say);
    const stopClients = new AbortController();
    const started = Date.now();
    const until = started + options.durationMs;
    const creating = createRuns(client, options.runs, options.durationMs / 2, stopClients.signal, faults);
    const clients = [
      sendEvents(client, target.observer, stopClients.signal, faults),
      decideApprovals(client, target.observer, stopClients.signal, faults),
    ];
    await Promise.all([
      killer(workers, options.killEveryMs, until, faults),
      zombie(workers, execLog, started + options.durationMs * 0.35, LEASE_TTL_MS * 2 + 1_000, faults, target),
      target.faults(started, until, faults),
    ]);
    const created = await creating;
    say(`faults over after ${((Date.now() - started) / 1000).toFixed(0)} s; waiting for every run to finish`);
    const finished = await waitForAll(target.observer, created.length, stopClients, say);
    await Promise.all(clients);
    const faultsEnded = Date.now();
    await Promise.all(workers.map((w) => w.stop()));

    say(`racing two claimers for ${options.claimRaces} claims`);
    const race = await target.raceClaims(options.claimRaces);
    return await verify({
      journal: target.observer,
      execLog,
      logDir: dir,
      topLevelRuns: created,
      faults: faults.counts,
      zombie: faults.zombie,
      race,
      finished,
      durationMs: faultsEnded - started,
    });
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await target?.close();
    // CAIRN_CHAOS_KEEP=1 keeps the workers' logs and the execution log for a look afterwards.
    if (process.env.CAIRN_CHAOS_KEEP) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
