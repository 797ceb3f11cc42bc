// Scale-out on PostgreSQL: 1, 2 and 4 worker PROCESSES (postgres-worker-child.ts, each with its
// own PostgresJournal, Engine and Worker) against one database. For each batch the runs are
// created first (engine.start, every worker stopped), then each worker of the fleet is told to
// start at once, and the batch is timed from that moment to the last run's end (runs.ended_at,
// the database's clock, which is this machine's); the parent polls the database until no run of
// the batch is active.
//   per-step overhead: 1 worker, 1 run × 1,000 no-op steps, each round paired with a floor round;
//   short runs:        300 runs × 10 steps, each worker at concurrency 10 (the Worker's default);
//   long runs:         4 runs × 600 steps, each worker at concurrency 4 ÷ workers (so the runs
//                      spread over the workers: same work, same number in flight).
// The three fleets live side by side (stopped ones hold a few idle connections, nothing more) and
// take their batches in turn, round after round, so all see the same spells of machine load.
// Each step returns ~50 B of JSON, the floor's row size. Also counted: the round trips each
// worker sends, the CPU of the worker processes and of the PostgreSQL server (from /proc).
import type { ChildProcess } from "node:child_process";
import { execFileSync, fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { Engine } from "../src/engine/engine.js";
import { silentLogger } from "../src/shared/logger.js";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import type { PgFloor } from "./postgres-floor.js";
import type { ChildMessage, ParentMessage } from "./postgres-worker-child.js";
import { chain } from "./postgres-workflows.js";
import type { Figure } from "./support.js";
import { fmt, median } from "./support.js";

const WORKERS = [1, 2, 4] as const;
const SINGLE_STEPS = 1_000;
const SINGLE_ROUNDS = 5;
const SHORT = { runs: 300, steps: 10, concurrency: 10 };
const LONG = { runs: 4, steps: 600 };
const ROUNDS = 3;
/** The goal: per-step cost within this factor of one autocommitted insert. */
export const TARGET_RATIO = 1.5;
const POLL_MS = 20;
const CORES = 2;

const CHILD = fileURLToPath(new URL("./postgres-worker-child.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));

type Stopped = Extract<ChildMessage, { type: "stopped" }>;

/** One worker process, answering the parent's commands in order. */
class Child {
  private readonly inbox: ChildMessage[] = [];
  private waiting: ((m: ChildMessage | undefined) => void) | undefined;
  private failed: Error | undefined;
  private readonly exited: Promise<void>;

  constructor(
    private readonly proc: ChildProcess,
    label: string,
  ) {
    proc.on("message", (m: ChildMessage) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (w) w(m);
      else this.inbox.push(m);
    });
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code) => {
        if (code !== 0) this.failed = new Error(`${label} exited with code ${code}`);
        resolve();
        this.waiting?.(undefined);
      });
    });
  }

  send(m: ParentMessage): void {
    if (this.failed) throw this.failed;
    this.proc.send(m);
  }

  async next(): Promise<ChildMessage> {
    const m = this.inbox.shift() ?? (await new Promise<ChildMessage | undefined>((r) => (this.waiting = r)));
    if (this.failed) throw this.failed;
    if (m === undefined) throw new Error("a worker process ended without answering");
    return m;
  }

  async exit(): Promise<void> {
    if (!this.failed) this.proc.send({ cmd: "exit" } satisfies ParentMessage);
    await this.exited;
    if (this.failed) throw this.failed;
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }
}

/** N worker processes, started and stopped together. */
class Fleet {
  private constructor(readonly children: Child[]) {}

  static async spawn(url: string, workers: number, maxConcurrency: number): Promise<Fleet> {
    const children: Child[] = [];
    for (let i = 0; i < workers; i++) {
      const proc = fork(CHILD, [url, String(maxConcurrency)], {
        cwd: ROOT,
        execArgv: ["--import", "tsx"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      children.push(new Child(proc, `worker process ${i + 1} of ${workers}`));
    }
    const fleet = new Fleet(children);
    try {
      for (const c of children) {
        const m = await c.next();
        if (m.type !== "ready") throw new Error(`a worker process said ${m.type} before ready`);
      }
    } catch (err) {
      fleet.kill();
      throw err;
    }
    return fleet;
  }

  start(concurrency: number): void {
    for (const c of this.children) c.send({ cmd: "start", concurrency });
  }

  async stop(): Promise<Stopped[]> {
    for (const c of this.children) c.send({ cmd: "stop" });
    const reports: Stopped[] = [];
    for (const c of this.children) {
      const m = await c.next();
      if (m.type !== "stopped") throw new Error(`a worker process said ${m.type}, not stopped`);
      reports.push(m);
    }
    return reports;
  }

  async exit(): Promise<void> {
    await Promise.all(this.children.map((c) => c.exit()));
  }

  kill(): void {
    for (const c of this.children) c.kill();
  }
}

/**
 * CPU used so far by the PostgreSQL server: the postmaster and its live children, plus the
 * children it has reaped (cutime/cstime), in µs. Read from /proc (Linux).
 */
function serverCpuReader(postmaster: number): () => number {
  const tick = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  const stat = (pid: string) => {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state ppid … utime(14) stime(15) cutime(16) cstime(17).
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), own: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]) };
  };
  return () => {
    let ticks = 0;
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const s = stat(pid);
        if (Number(pid) === postmaster) ticks += s.own + s.reaped;
        else if (s.ppid === postmaster) ticks += s.own;
      } catch {
        // The process ended while we looked.
      }
    }
    return ticks * tick;
  };
}

interface Batch {
  /** From "start" to the last run's end, ms. */
  ms: number;
  runs: number;
  steps: number;
  /** Round trips to the server, all workers. */
  queries: number;
  /** CPU of the worker processes, µs. */
  workerCpuUs: number;
  /** CPU of the PostgreSQL server, µs. */
  serverCpuUs: number;
  /** How the runs were spread: runs ended per worker. */
  spread: number[];
}

export interface ScaleContext {
  url: string;
  floor: PgFloor;
}

export async function measureScale(ctx: ScaleContext): Promise<Figure[]> {
  const journal = await PostgresJournal.open({ url: ctx.url, max: 8 });
  const engine = new Engine({ journal, workflows: [chain], logger: silentLogger });
  const watch = new pg.Client({ connectionString: ctx.url, application_name: "cairn-bench-watch" });
  await watch.connect();
  const backend = (await watch.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  const postmaster = Number(readFileSync(`/proc/${backend}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
  const serverCpu = serverCpuReader(postmaster);
  const fleets = new Map<number, Fleet>();
  try {
    for (const workers of WORKERS)
      fleets.set(workers, await Fleet.spawn(ctx.url, workers, Math.max(SHORT.concurrency, LONG.runs)));

    /** Creates the batch's runs, starts the fleet, waits for the last run to end, stops the fleet. */
    const batch = async (fleet: Fleet, concurrency: number, runs: number, steps: number): Promise<Batch> => {
      const ids: string[] = [];
      for (let i = 0; i < runs; i += 16) {
        const n = Math.min(16, runs - i);
        const made = await Promise.all(Array.from({ length: n }, () => engine.start(chain, { steps })));
        ids.push(...made.map((r) => r.runId));
      }
      const cpu0 = serverCpu();
      const goAt = Date.now();
      fleet.start(concurrency);
      for (;;) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        const { rows } = await watch.query<{ active: number; failed: number; last: string | null }>(
          `SELECT COUNT(*) FILTER (WHERE status IN ('queued', 'running', 'waiting', 'needs-attention'))::int AS active,
             COUNT(*) FILTER (WHERE status IN ('failed', 'cancelled'))::int AS failed, MAX(ended_at) AS last
           FROM runs WHERE workspace = 'default' AND id = ANY($1::text[])`,
          [ids],
        );
        const row = rows[0]!;
        if (row.failed > 0) throw new Error(`${row.failed} run(s) of the batch did not complete`);
        if (row.active > 0) continue;
        const serverCpuUs = serverCpu() - cpu0;
        const reports = await fleet.stop();
        return {
          ms: Math.max(1, Number(row.last) - goAt),
          runs,
          steps: runs * steps,
          queries: reports.reduce((s, r) => s + r.queries, 0),
          workerCpuUs: reports.reduce((s, r) => s + r.cpuUs, 0),
          serverCpuUs,
          spread: reports.map((r) => r.executions),
        };
      }
    };
    const cpuText = (b: Batch) =>
      `CPU per step: workers ${fmt(b.workerCpuUs / b.steps)} µs + server ${fmt(b.serverCpuUs / b.steps)} µs ` +
      `(${fmt((100 * (b.workerCpuUs + b.serverCpuUs)) / (b.ms * 1000 * CORES))}% of ${CORES} cores)`;

    const figures: Figure[] = [];

    // ── per-step overhead: 1 worker process, 1 run ─────────────────────────────────────────
    {
      const fleet = fleets.get(1)!;
      // Warm-up, a whole round as the public API section takes: JIT, prepared statements, pool connections.
      await batch(fleet, 1, 1, SINGLE_STEPS);
      const us: number[] = [];
      const ratios: number[] = [];
      const floors: number[] = [];
      const runs: Batch[] = [];
      for (let r = 0; r < SINGLE_ROUNDS; r++) {
        const f = await ctx.floor.round();
        const b = await batch(fleet, 1, 1, SINGLE_STEPS);
        const perStep = (b.ms * 1000) / SINGLE_STEPS;
        us.push(perStep);
        ratios.push(perStep / f);
        floors.push(f);
        runs.push(b);
      }
      const ratio = median(ratios);
      const mid = runs[us.indexOf([...us].sort((a, b) => a - b)[Math.floor(us.length / 2)]!)]!;
      const section = "2. per-step overhead";
      const m = `1 worker process, 1 run × ${fmt(SINGLE_STEPS)} steps`;
      figures.push(
        {
          section,
          metric: `${m}: per step`,
          value: median(us),
          unit: "µs/step",
          note:
            `${fmt(ratio)}x the 1-connection floor (target ≤ ${TARGET_RATIO}x): median of ${SINGLE_ROUNDS} rounds, ` +
            `each ÷ the floor round just before it (${ratios.map((r) => `${fmt(r)}x`).join(", ")}); ` +
            `best ${fmt(Math.min(...us))} µs; floor rounds ${floors.map((f) => fmt(f)).join(", ")} µs`,
          ok: ratio <= TARGET_RATIO,
        },
        { section, metric: `${m}: throughput`, value: 1e6 / median(us), unit: "steps/s" },
        {
          section,
          metric: `${m}: round trips to the server`,
          value: median(runs.map((b) => b.queries / SINGLE_STEPS)),
          unit: "queries/step",
          note: "pg Client.query calls in the worker process, claim to completion, per step (the floor: 1)",
        },
        {
          section,
          metric: `${m}: worker process CPU`,
          value: median(runs.map((b) => b.workerCpuUs / SINGLE_STEPS)),
          unit: "µs/step",
          note: `user + system; median round: ${cpuText(mid)}`,
        },
      );
    }

    // ── short and long runs with 1, 2, 4 worker processes, interleaved ─────────────────────
    const short = new Map<number, Batch[]>(WORKERS.map((w) => [w, []]));
    const long = new Map<number, Batch[]>(WORKERS.map((w) => [w, []]));
    for (const workers of WORKERS) await batch(fleets.get(workers)!, SHORT.concurrency, 40, SHORT.steps);
    for (let r = 0; r < ROUNDS; r++) {
      for (const workers of WORKERS) {
        const fleet = fleets.get(workers)!;
        short.get(workers)!.push(await batch(fleet, SHORT.concurrency, SHORT.runs, SHORT.steps));
        long.get(workers)!.push(await batch(fleet, LONG.runs / workers, LONG.runs, LONG.steps));
      }
    }
    const mid = (batches: Batch[]) =>
      [...batches].sort((a, b) => a.ms - b.ms)[Math.floor((batches.length - 1) / 2)]!;
    const rate = (b: Batch) => (b.steps * 1000) / b.ms;
    const describe = (b: Batch, base: Batch) =>
      `${fmt(rate(b) / rate(base))}x 1 worker; ${fmt(b.queries / b.steps)} queries/step; ${cpuText(b)}; ` +
      `runs per worker ${b.spread.join("/")}`;
    const shortSection = `3a. short runs (${fmt(SHORT.runs)} × ${SHORT.steps} steps)`;
    const longSection = `3b. long runs (${LONG.runs} × ${fmt(LONG.steps)} steps)`;
    const plural = (w: number) => `${w} worker process${w === 1 ? "" : "es"}`;
    for (const workers of WORKERS) {
      const s = mid(short.get(workers)!);
      const m = `${plural(workers)} (concurrency ${SHORT.concurrency} each)`;
      figures.push(
        {
          section: shortSection,
          metric: `${m}: runs`,
          value: (s.runs * 1000) / s.ms,
          unit: "runs/s",
          note: `median of ${ROUNDS} batches: ${short
            .get(workers)!
            .map((b) => `${fmt(b.ms / 1000)} s`)
            .join(", ")}`,
        },
        {
          section: shortSection,
          metric: `${m}: steps`,
          value: rate(s),
          unit: "steps/s",
          note: describe(s, mid(short.get(1)!)),
        },
      );
    }
    for (const workers of WORKERS) {
      const l = mid(long.get(workers)!);
      figures.push({
        section: longSection,
        metric: `${plural(workers)} (concurrency ${LONG.runs / workers} each): steps`,
        value: rate(l),
        unit: "steps/s",
        note: `median of ${ROUNDS} batches (${long
          .get(workers)!
          .map((b) => `${fmt(b.ms / 1000)} s`)
          .join(", ")}); ${describe(l, mid(long.get(1)!))}`,
      });
    }
    return figures;
  } finally {
    const all = [...fleets.values()];
    await Promise.all(all.map((f) => f.exit())).catch(() => all.forEach((f) => f.kill()));
    await watch.end();
    await journal.close();
  }
}
