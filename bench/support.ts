// Shared plumbing for the engine benchmark: options, temp stores, an Engine over a real SQLite
// file, timing and formatting helpers, and the shape of a reported figure. Measures nothing.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { Engine } from "../src/engine/engine.js";
import type { Workflow } from "../src/engine/workflow.js";
import { silentLogger } from "../src/shared/logger.js";
import { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";

export type Synchronous = "full" | "normal";

export interface BenchOptions {
  synchronous: Synchronous;
}

/** One reported figure: a row of the printed table and an entry of the --json output. */
export interface Figure {
  section: string;
  metric: string;
  value: number;
  unit: string;
  /** Free text: a ratio, a target and whether it is met, a breakdown. */
  note?: string;
  /** true/false when the figure has a target; undefined otherwise. */
  ok?: boolean;
}

/** A fresh temporary directory with a store path in it; `cleanup` removes it. */
export function tempStore(prefix: string): { dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `cairn-bench-${prefix}-`));
  return { dir, path: join(dir, "cairn.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An Engine on its own SqliteJournal over `path`, as a worker process would build it. */
export function openEngine(path: string, synchronous: Synchronous, workflows: readonly Workflow[]): Engine {
  const journal = new SqliteJournal({ path, synchronous });
  return new Engine({ journal, workflows, logger: silentLogger });
}

/** Size of the store: the database file plus its WAL, when present. */
export function storeBytes(path: string): number {
  let total = 0;
  for (const p of [path, `${path}-wal`]) {
    try {
      total += statSync(p).size;
    } catch {
      // no such file
    }
  }
  return total;
}

/** Frames and commits in a WAL file, and how many frames wrote each page. */
export interface WalCount {
  frames: number;
  commits: number;
  pages: Map<number, number>;
}

/** Reads a WAL file's frames (those of its current salt: the log since its last reset). */
export function countWal(path: string): WalCount {
  let wal: Buffer;
  try {
    wal = readFileSync(`${path}-wal`);
  } catch {
    return { frames: 0, commits: 0, pages: new Map() };
  }
  const pageSize = wal.readUInt32BE(8);
  const salt = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  const count: WalCount = { frames: 0, commits: 0, pages: new Map() };
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt[0] || wal.readUInt32BE(at + 12) !== salt[1]) break;
    const page = wal.readUInt32BE(at);
    count.frames++;
    count.pages.set(page, (count.pages.get(page) ?? 0) + 1);
    if (wal.readUInt32BE(at + 4) !== 0) count.commits++;
  }
  return count;
}

/** Empties the WAL and stops automatic checkpoints, so the WAL holds all that is written next. */
export function startCountingWal(db: Database.Database): void {
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.pragma("wal_autocheckpoint = 0");
}

export function now(): number {
  return performance.now();
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Full collections until the heap stops shrinking (needs --expose-gc; a no-op without). */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Rounds a section runs on its fresh store file before it times any against the floor. A new
 * file's first few thousand commits are slower, for the raw floor as for Cairn (measured here:
 * the floor's first rounds 130–160 µs, then 110; Cairn's 200–270, then 150): the filesystem is
 * still allocating the file's blocks. The floor's file has taken over 5,000 commits before a
 * section pairs its rounds with it, so each section's store takes about as many first.
 */
export const WARMUP_ROUNDS = 4;

/** Runs `round` WARMUP_ROUNDS times, untimed against the floor; returns what each took. */
export async function warmUp(round: () => Promise<number>): Promise<number[]> {
  const took: number[] = [];
  for (let i = 0; i < WARMUP_ROUNDS; i++) took.push(await round());
  return took;
}

/** What a section's warm-up rounds took, for its note. */
export function warmUpNote(took: readonly number[]): string {
  return `after ${took.length} warm-up rounds on the fresh file (${took.map(fmt).join(", ")} µs)`;
}

export function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}

/** A number with a sensible count of decimals for a table. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toLocaleString("en-US");
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** The `--synchronous` flag, checked. */
export function parseSynchronous(text: string): Synchronous {
  const value = text.toLowerCase();
  if (value !== "full" && value !== "normal")
    throw new Error(`--synchronous must be "full" or "normal", not "${text}"`);
  return value;
}

/** What every benchmark prints first: the machine, its load, the store setting. */
export function machineFacts(synchronous: Synchronous): Record<string, string> {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown"}`,
    memory: `${fmt(totalmem() / 1024 ** 3)} GiB`,
    load: `${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} (1, 5, 15 min) at the start`,
    store: `SQLite (WAL, synchronous=${synchronous.toUpperCase()}), files in the OS temp dir`,
  };
}

/**
 * One run of `steps` no-op steps through the public API, from `engine.start` to its result
 * (a Worker must be started on `engine`): µs per step.
 */
export async function timePublicRun(
  engine: Engine,
  chain: Workflow<{ steps: number }, number>,
  steps: number,
): Promise<number> {
  const t0 = now();
  const run = await engine.start(chain, { steps });
  const last = await run.result<number>({ timeoutMs: 300_000 });
  const elapsed = now() - t0;
  if (last !== steps - 1) throw new Error(`the run returned ${last}, not ${steps - 1}`);
  return (elapsed * 1000) / steps;
}
