import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { Engine } from "../../src/engine/engine.js";
import { CairnError } from "../../src/shared/errors.js";
import { silentLogger } from "../../src/shared/logger.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";
import type { TcpProxy } from "../support/tcp-proxy.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { raceClaims } from "./claim-race.js";
import type { ChaosReport } from "./verify.js";
import { verify } from "./verify.js";
import { chaosWorkflows } from "./workflows.js";

export interface ChaosOptions {
  workers: number;
  runs: number;
  /** How long the faults go on; runs are created over its first half. */
  durationMs: number;
  /** Mean time between SIGKILLs of a random worker (each restarted at once). */
  killEveryMs: number;
  /** How long the database is unreachable (through the proxy), once, at 20% of the duration. */
  outageMs: number;
  /** Database restarts (crash: `pg_ctl stop -m immediate`) in the second half, this far apart. */
  restartEveryMs: number;
  /** Claims raced by two connections at the end. */
  claimRaces: number;
  /** Lines of progress as the test goes; the default prints nothing. */
  onProgress?: (line: string) => void;
}

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const CONFIG = join(import.meta.dirname, "chaos.config.ts");
const LEASE_TTL_MS = 3_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The chaos test: `workers` real `cairn worker` processes on one PostgreSQL database (reached
 * through a TCP proxy that can cut them off), `runs` runs of mixed workflows, and faults while
 * they run: SIGKILLs, a network outage, a frozen worker (SIGSTOP past its lease, then SIGCONT),
 * database crashes and restarts. Then two connections race for claims. Returns what the checker
 * found; `report.violations` lists every broken invariant (empty when all held).
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.onProgress ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "cairn-chaos-"));
  const execLog = join(dir, "executions.jsonl");
  closeSync(openSync(execLog, "a"));
  // Durable: the database is crashed on purpose, and must keep every commit it acknowledged.
  const server = await startPostgres({ durable: true });
  const proxy = await startTcpProxy(server.port);
  const workers: WorkerProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query("CREATE DATABASE chaos");
    await admin.end();
    const directUrl = server.urlFor("chaos");
    const proxiedUrl = `postgres://postgres@127.0.0.1:${proxy.port}/chaos`;
    // The test's own view (checks, the claim race) goes straight to the server; its clients
    // (starting runs, sending events, deciding) go through the proxy, as the workers do.
    const observer = await PostgresJournal.open({ url: directUrl, max: 4, connectionTimeoutMillis: 2_000 });
    closers.push(() => observer.close());
    const clientJournal = await PostgresJournal.open({
      url: proxiedUrl,
      max: 4,
      connectionTimeoutMillis: 2_000,
    });
    closers.push(() => clientJournal.close());
    const client = new Engine({ journal: clientJournal, workflows: chaosWorkflows, logger: silentLogger });

    const env = { ...process.env, CAIRN_STORE: proxiedUrl, CAIRN_CHAOS_LOG: execLog };
    for (let i = 0; i < options.workers; i++) workers.push(new WorkerProcess(i, dir, env));
    say(`${options.workers} workers on ${server.url.replace(/\/postgres$/, "/chaos")} (through a proxy)`);

    const faults = new Faults(say);
    const stopClients = new AbortController();
    const started = Date.now();
    const at = (fraction: number) => started + options.durationMs * fraction;
    const creating = createRuns(client, options.runs, options.durationMs / 2, stopClients.signal, faults);
    const clients = [
      sendEvents(client, observer, stopClients.signal, faults),
      decideApprovals(client, observer, stopClients.signal, faults),
    ];
    await Promise.all([
      killer(workers, options.killEveryMs, at(1), faults),
      outage(proxy, at(0.2), options.outageMs, faults),
      zombie(workers, execLog, at(0.35), LEASE_TTL_MS * 2 + 1_000, faults),
      restarts(server, at(0.5), at(1), options.restartEveryMs, faults),
    ]);
    const created = await creating;
    say(`faults over after ${((Date.now() - started) / 1000).toFixed(0)} s; waiting for every run to finish`);
    const finished = await waitForAll(observer, created.length, stopClients, say);
    await Promise.all(clients);
    const faultsEnded = Date.now();
    await Promise.all(workers.map((w) => w.stop()));

    say(`racing two connections for ${options.claimRaces} claims`);
    const race = await raceClaims(directUrl, options.claimRaces);
    const report = await verify({
      journal: observer,
      execLog,
      topLevelRuns: created,
      faults: faults.counts,
      zombie: faults.zombie,
      race,
      finished,
      durationMs: faultsEnded - started,
    });
    return report;
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await proxy.close();
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What was done to the system, for the report. */
export interface FaultCounts {
  kills: number;
  outages: number;
  outageMs: number;
  restarts: number;
  zombies: number;
  eventsSent: number;
  decisions: number;
  decisionConflicts: number;
}

export interface ZombieRecord {
  pid: number;
  stoppedAt: number;
  continuedAt: number;
}

class Faults {
  readonly counts: FaultCounts = {
    kills: 0,
    outages: 0,
    outageMs: 0,
    restarts: 0,
    zombies: 0,
    eventsSent: 0,
    decisions: 0,
    decisionConflicts: 0,
  };
  zombie: ZombieRecord | undefined;
  constructor(readonly say: (line: string) => void) {}
}

/** One `cairn worker` process slot: started, killed and started again. */
class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  frozen = false;

  constructor(
    readonly index: number,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.start();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = openSync(join(this.dir, `worker-${this.index}.log`), "a");
    const child = spawn(process.execPath, [CLI, "worker", "--json", "--config", CONFIG], {
      cwd: ROOT,
      env: this.env,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  async sigkill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    this.child?.kill(signal);
  }

  /** SIGTERM: the worker finishes its steps in hand and releases its leases. */
  async stop(): Promise<void> {
    this.child?.kill("SIGTERM");
    const timeout = sleep(20_000).then(() => this.child?.kill("SIGKILL"));
    await Promise.race([this.exited, timeout]);
  }

  async kill(): Promise<void> {
    if (this.child?.exitCode === null && this.child.signalCode === null) await this.sigkill();
  }
}

/** Retries a client call through outages and restarts, as a real caller would. */
async function retrying<T>(what: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      if (CairnError.is(err) && err.code !== "CAIRN_STORE") throw err;
      if (signal?.aborted || attempt > 600) throw err;
      await sleep(100);
    }
  }
}

const MIX = ["chaos.steps", "chaos.sleep", "chaos.event", "chaos.parent", "chaos.approval"] as const;

async function createRuns(
  client: Engine,
  runs: number,
  overMs: number,
  signal: AbortSignal,
  faults: Faults,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) {
    const wf = MIX[i % MIX.length]!;
    const input = wf === "chaos.sleep" ? { sleepMs: 1_000 + Math.floor(Math.random() * 14_000) } : {};
    // The idempotency key makes a retry after an ambiguous failure return the same run.
    const { runId } = await retrying(() => client.start(wf, input, { idempotencyKey: `chaos-${i}` }), signal);
    ids.push(runId);
    if ((i + 1) % 100 === 0) faults.say(`${i + 1} runs started`);
    await sleep(overMs / runs);
  }
  return ids;
}

/** Sends each event-waiting run its event (once it waits), with a deduplication id. */
async function sendEvents(client: Engine, observer: PostgresJournal, signal: AbortSignal, faults: Faults) {
  const sent = new Set<string>();
  while (!signal.aborted) {
    try {
      const waiting = await observer.listRuns("default", {
        workflow: "chaos.event",
        status: "waiting",
        limit: 100_000,
      });
      for (const run of waiting) {
        if (sent.has(run.id)) continue;
        await retrying(
          () =>
            client.send({
              name: "chaos.go",
              id: `go:${run.id}`,
              data: { runId: run.id, token: `ev-${run.id}` },
            }),
          signal,
        );
        sent.add(run.id);
        faults.counts.eventsSent = sent.size;
      }
    } catch {
      // The database is down for a moment: look again.
    }
    await sleep(200);
  }
}

/** Decides pending approvals: two deciders race for each; every fourth is rejected. */
async function decideApprovals(
  client: Engine,
  observer: PostgresJournal,
  signal: AbortSignal,
  faults: Faults,
) {
  let n = 0;
  while (!signal.aborted) {
    try {
      const pending = await observer.listApprovals("default", { status: "pending", limit: 1_000 });
      for (const a of pending) {
        const approve = n++ % 4 !== 0;
        const outcomes = await Promise.all(
          ["ana", "bo"].map((by) =>
            retrying(() => client.decide(a.id, { approve, by }), signal).then(
              () => "decided" as const,
              (err: unknown) => {
                if (CairnError.is(err, "CAIRN_CONFLICT")) return "conflict" as const;
                throw err;
              },
            ),
          ),
        );
        faults.counts.decisions += outcomes.filter((o) => o === "decided").length;
        faults.counts.decisionConflicts += outcomes.filter((o) => o === "conflict").length;
      }
    } catch {
      // The database is down for a moment: look again.
    }
    await sleep(300);
  }
}

async function killer(workers: WorkerProcess[], everyMs: number, until: number, faults: Faults) {
  while (Date.now() + everyMs < until) {
    await sleep(everyMs * (0.5 + Math.random()));
    const candidates = workers.filter((w) => !w.frozen);
    const victim = candidates[Math.floor(Math.random() * candidates.length)];
    if (victim === undefined) continue;
    await victim.sigkill();
    faults.counts.kills++;
    victim.start();
  }
}

async function outage(proxy: TcpProxy, at: number, ms: number, faults: Faults) {
  await sleep(Math.max(0, at - Date.now()));
  faults.say(`network outage: the database is unreachable for ${ms / 1000} s`);
  proxy.cut();
  await sleep(ms);
  proxy.restore();
  faults.counts.outages++;
  faults.counts.outageMs += ms;
}

/** Freezes the worker that has just begun a step (so it holds a step in flight) past its lease. */
async function zombie(
  workers: WorkerProcess[],
  execLog: string,
  at: number,
  frozenMs: number,
  faults: Faults,
) {
  await sleep(Math.max(0, at - Date.now()));
  let victim: WorkerProcess | undefined;
  const lookUntil = Date.now() + 20_000;
  let seen = statSync(execLog).size;
  while (victim === undefined && Date.now() < lookUntil) {
    await sleep(2);
    const size = statSync(execLog).size;
    if (size === seen) continue;
    seen = size;
    const pid = Number(
      /"p":(\d+)/.exec(readFileSync(execLog, "utf8").trimEnd().split("\n").pop() ?? "")?.[1],
    );
    victim = workers.find((w) => w.pid === pid && !w.frozen);
  }
  victim ??= workers[0]!;
  victim.frozen = true;
  const pid = victim.pid!;
  const stoppedAt = Date.now();
  victim.signal("SIGSTOP");
  faults.say(
    `zombie: worker ${pid} frozen (SIGSTOP) for ${frozenMs / 1000} s, past its ${LEASE_TTL_MS / 1000} s lease`,
  );
  await sleep(frozenMs);
  const continuedAt = Date.now();
  victim.signal("SIGCONT");
  victim.frozen = false;
  faults.zombie = { pid, stoppedAt, continuedAt };
  faults.counts.zombies++;
}

async function restarts(
  server: PostgresServer,
  from: number,
  until: number,
  everyMs: number,
  faults: Faults,
) {
  await sleep(Math.max(0, from - Date.now()));
  while (Date.now() + everyMs < until) {
    await sleep(everyMs);
    await server.halt("immediate");
    await sleep(300);
    await server.resume();
    faults.counts.restarts++;
    faults.say(`database crashed and restarted (${faults.counts.restarts})`);
  }
}

/** Waits until every run (children too) has ended; stops the event and approval loops then. */
async function waitForAll(
  observer: PostgresJournal,
  topLevel: number,
  stopClients: AbortController,
  say: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + 180_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const active = await observer.listRuns("default", { active: true, limit: 100_000 });
      const all = await observer.listRuns("default", { limit: 100_000 });
      const line = `${all.length - active.length} of ${all.length} runs ended`;
      if (line !== last) say((last = line));
      if (active.length === 0 && all.length >= topLevel) {
        stopClients.abort();
        return true;
      }
    } catch {
      // A restart in progress.
    }
    await sleep(500);
  }
  stopClients.abort();
  return false;
}
