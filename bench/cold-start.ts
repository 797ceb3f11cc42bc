// Cold start: what a person waits for when a process starts. Each figure times whole fresh
// processes (spawn to exit), Cairn's and its yardstick's in alternation so both see the same
// machine load, and reports medians of N (hyperfine-style, after warm-up runs):
//   1. `cairn runs ls` (the built CLI; a project with one workflow; the compiled config cached)
//      vs a bare node process that loads better-sqlite3 and opens the same file. Target ≤ 2.5×.
//   2. recovering a 1,000-step run after a SIGKILL, in a fresh process through the public API
//      (replay 1,000 memoized steps, run the last one, complete) vs a naive memoizing runtime on
//      raw better-sqlite3 doing the same at the same durability (WAL, synchronous=FULL). Target ≤ 2×.
// Needs `npm run build` first (it runs dist/). `--runs N` (default 15), `--json`.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Figure } from "./support.js";
import { fmt, median } from "./support.js";
import { printTable } from "./table.js";

const ROOT = resolve(import.meta.dirname, "..");
const CLI = join(ROOT, "dist/cli/main.js");
const STEPS = 1_000;

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const RUNS = process.argv.includes("--runs") ? Number(arg("--runs")) : 15;
const JSON_OUT = process.argv.includes("--json");

// The processes timed. Plain .mjs run by plain node: nothing here is compiled on the fly.

const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";
const hello = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));
export default defineConfig({ workflows: [hello] });
`;

const BARE_OPEN = `import Database from "better-sqlite3";
const db = new Database(process.argv[2]);
db.pragma("journal_mode = WAL");
db.prepare("SELECT count(*) FROM runs").get();
db.close();
`;

/**
 * Cairn: the long workflow; a process that recovers its run; with CRASH=1, one that builds it.
 * It imports `cairn-runtime/workflow`, the entry for workflow-only programs (no agent layer);
 * the same program importing the main entry is timed too, for information.
 */
const CAIRN_RECOVER = `import { Engine, Worker, openJournal, workflow, silentLogger } from "cairn-runtime/workflow";
const long = workflow("long", async ({ step }) => {
  let sum = 0;
  for (let i = 0; i < ${STEPS}; i++) sum += await step.run("s", () => i);
  // The build process dies here, with ${STEPS} steps committed.
  return step.run("finish", () => {
    if (process.env.CRASH === "1") process.kill(process.pid, "SIGKILL");
    return sum;
  });
});
const journal = openJournal("sqlite:" + process.argv[2]);
const engine = new Engine({ journal, workflows: [long], logger: silentLogger });
if (process.env.CRASH === "1") await engine.start(long, {});
const result = await new Worker(engine).drain();
if (result.outcomes.completed !== 1) throw new Error("not recovered: " + JSON.stringify(result));
await journal.close();
`;

/** The naive runtime: memoize each step in a table; same recovery, same durability. */
const NAIVE_RECOVER = `import Database from "better-sqlite3";
const db = new Database(process.argv[2]);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = FULL");
db.exec("CREATE TABLE IF NOT EXISTS steps (run_id TEXT, step_id TEXT, output TEXT, PRIMARY KEY (run_id, step_id))");
db.exec("CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, status TEXT)");
const get = db.prepare("SELECT output FROM steps WHERE run_id = ? AND step_id = ?");
const put = db.prepare("INSERT INTO steps VALUES (?, ?, ?)");
const run = (id, fn) => {
  const row = get.get("r1", id);
  if (row) return JSON.parse(row.output);
  const out = fn();
  put.run("r1", id, JSON.stringify(out));
  return out;
};
db.prepare("INSERT OR IGNORE INTO runs VALUES ('r1', 'running')").run();
let sum = 0;
for (let i = 0; i < ${STEPS}; i++) sum += run("s" + i, () => i);
run("finish", () => {
  if (process.env.CRASH === "1") process.kill(process.pid, "SIGKILL");
  return sum;
});
db.prepare("UPDATE runs SET status = 'completed' WHERE id = 'r1'").run();
db.close();
`;

interface Dir {
  path: string;
  file(name: string): string;
}

function workDir(): Dir {
  const path = mkdtempSync(join(tmpdir(), "cairn-bench-cold-"));
  mkdirSync(join(path, "node_modules"));
  symlinkSync(ROOT, join(path, "node_modules/cairn-runtime"), "dir");
  symlinkSync(join(ROOT, "node_modules/better-sqlite3"), join(path, "node_modules/better-sqlite3"), "dir");
  return { path, file: (name) => join(path, name) };
}

/** A process's wall time and CPU time (user + system), ms. */
interface Took {
  wall: number;
  cpu: number;
}

/**
 * CPU time of this process's waited-for children so far, ms (Linux /proc, 10 ms ticks); NaN
 * elsewhere. On a busy machine it is steadier than wall time, which includes waiting for a CPU.
 */
function childrenCpuMs(): number {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8")
      .replace(/^.*\) /s, "")
      .split(" ");
    // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14.
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Runs a process to its end. Fails loudly: a broken side must not look fast. */
function timed(args: string[], cwd: string, env: Record<string, string> = {}, expectSignal?: string): Took {
  const c0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  const wall = performance.now() - t0;
  if (expectSignal ? r.signal !== expectSignal : r.status !== 0)
    throw new Error(`${args.join(" ")}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  return { wall, cpu: childrenCpuMs() - c0 };
}

interface Comparison {
  cairn: Took;
  yard: Took;
  /** Median of the per-pair ratios of wall time. */
  ratio: number;
}

/** Alternates the two sides `runs` times (after 2 warm-ups each); medians and the pair ratio. */
function compare(cairn: () => Took, yardstick: () => Took): Comparison {
  for (let i = 0; i < 2; i++) {
    cairn();
    yardstick();
  }
  const a: Took[] = [];
  const b: Took[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first, so neither always runs right after the other.
    let x: Took;
    let y: Took;
    if (i % 2 === 0) {
      x = cairn();
      y = yardstick();
    } else {
      y = yardstick();
      x = cairn();
    }
    a.push(x);
    b.push(y);
    ratios.push(x.wall / y.wall);
  }
  const med = (t: Took[]): Took => ({ wall: median(t.map((v) => v.wall)), cpu: median(t.map((v) => v.cpu)) });
  return { cairn: med(a), yard: med(b), ratio: median(ratios) };
}

/** The three rows of a comparison: each side's median, and the ratio against the target. */
function rows(section: string, cairn: string, yard: string, m: Comparison, target: number): Figure[] {
  const cpu = (t: Took) => (Number.isNaN(t.cpu) ? "" : `CPU ${fmt(t.cpu)} ms`);
  return [
    { section, metric: cairn, value: m.cairn.wall, unit: "ms", note: cpu(m.cairn) },
    { section, metric: yard, value: m.yard.wall, unit: "ms", note: cpu(m.yard) },
    {
      section,
      metric: "ratio, wall time (median of pairs)",
      value: m.ratio,
      unit: "×",
      note:
        `target ≤ ${target}×; ratio of medians ${fmt(m.cairn.wall / m.yard.wall)}×` +
        (Number.isNaN(m.cairn.cpu) ? "" : `, of CPU ${fmt(m.cairn.cpu / m.yard.cpu)}×`),
      ok: m.ratio <= target,
    },
  ];
}

function runsLs(dir: Dir): Figure[] {
  writeFileSync(dir.file("cairn.config.ts"), CONFIG);
  writeFileSync(dir.file("bare-open.mjs"), BARE_OPEN);
  const env = { CAIRN_STORE: `sqlite:${dir.file("cairn.db")}`, NO_COLOR: "1" };
  // One run in the store, and the compiled config in the cache (the first command compiles it).
  timed([CLI, "run", "hello"], dir.path, env);
  const m = compare(
    () => timed([CLI, "runs", "ls"], dir.path, env),
    () => timed([dir.file("bare-open.mjs"), dir.file("cairn.db")], dir.path),
  );
  return rows(
    "1. cairn runs ls",
    "cairn runs ls (one workflow, warm config cache)",
    "bare node + better-sqlite3, open the file",
    m,
    2.5,
  );
}

function recovery(dir: Dir): Figure[] {
  writeFileSync(dir.file("cairn-recover.mjs"), CAIRN_RECOVER);
  writeFileSync(
    dir.file("cairn-recover-main.mjs"),
    CAIRN_RECOVER.replace('from "cairn-runtime/workflow"', 'from "cairn-runtime"'),
  );
  writeFileSync(dir.file("naive-recover.mjs"), NAIVE_RECOVER);
  // Build each side's crashed run once: 1,000 steps committed, then SIGKILL.
  const built = { cairn: dir.file("cairn-built.db"), naive: dir.file("naive-built.db") };
  const build0 = performance.now();
  timed([dir.file("cairn-recover.mjs"), built.cairn], dir.path, { CRASH: "1" }, "SIGKILL");
  const buildMs = performance.now() - build0;
  timed([dir.file("naive-recover.mjs"), built.naive], dir.path, { CRASH: "1" }, "SIGKILL");
  let trial = 0;
  // Each recovery finishes its run, so each starts from a fresh copy of the crashed store.
  const fresh = (db: string) => {
    const copy = dir.file(`trial-${trial++}.db`);
    for (const suffix of ["", "-wal", "-shm"])
      if (existsSync(db + suffix)) copyFileSync(db + suffix, copy + suffix);
    return copy;
  };
  const m = compare(
    () => timed([dir.file("cairn-recover.mjs"), fresh(built.cairn)], dir.path),
    () => timed([dir.file("naive-recover.mjs"), fresh(built.naive)], dir.path),
  );
  const mainEntry = median(
    Array.from(
      { length: RUNS },
      () => timed([dir.file("cairn-recover-main.mjs"), fresh(built.cairn)], dir.path).wall,
    ),
  );
  writeFileSync(dir.file("cairn.config.ts"), workerConfig());
  const worker = () =>
    timed([CLI, "worker", "--once"], dir.path, {
      CAIRN_STORE: `sqlite:${fresh(built.cairn)}`,
      NO_COLOR: "1",
    });
  worker(); // compiles the config into the cache
  const cli = median(Array.from({ length: Math.max(3, Math.floor(RUNS / 3)) }, () => worker().wall));
  return [
    ...rows(
      "2. recover a run",
      `Cairn: fresh process recovers a ${fmt(STEPS)}-step run (cairn-runtime/workflow)`,
      "naive memoizing runtime on raw better-sqlite3",
      m,
      2,
    ),
    {
      section: "2. recover a run",
      metric: "the same importing the main entry `cairn-runtime` (for information)",
      value: mainEntry,
      unit: "ms",
      note: "it also loads the agent layer's modules (not the AI SDK): what a workflow-only program saves",
    },
    {
      section: "2. recover a run",
      metric: "the same through `cairn worker --once` (for information)",
      value: cli,
      unit: "ms",
      note: `config from the cache; building the run (${fmt(STEPS)} steps, then SIGKILL) took ${fmt(buildMs)} ms`,
    },
  ];
}

/** A config with the long workflow, for `cairn worker --once` (its code must match the run's). */
function workerConfig(): string {
  const body = CAIRN_RECOVER.slice(
    CAIRN_RECOVER.indexOf("const long"),
    CAIRN_RECOVER.indexOf("const journal"),
  );
  return `import { defineConfig, workflow } from "cairn-runtime";\n${body}export default defineConfig({ workflows: [long] });\n`;
}

function main(): void {
  if (!existsSync(CLI)) throw new Error("dist/ is missing: run `npm run build` first");
  const dir = workDir();
  try {
    const [l1, l5] = loadavg();
    if (!JSON_OUT)
      console.log(
        `cold start · node ${process.version} · ${cpus().length} CPUs · load ${fmt(l1!)} / ${fmt(l5!)} (1/5 min) · ` +
          `median of ${RUNS} alternating runs per side; whole processes, spawn to exit\n`,
      );
    const figures = [...runsLs(dir), ...recovery(dir)];
    if (JSON_OUT) console.log(JSON.stringify(figures, null, 2));
    else printTable(figures);
  } finally {
    rmSync(dir.path, { recursive: true, force: true });
  }
}

main();
