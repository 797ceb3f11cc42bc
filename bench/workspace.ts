// Workspace benchmark: what checkpointing a run's workspace and sandboxing a command cost.
//   1. Snapshot of a 1,000-file workspace (20 folders × 50 files of 1 KiB) after one file changed:
//      time and bytes newly stored (the changed file, and the folder lists above it), in the
//      process that took the previous snapshot (its stat cache warm); also the first snapshot,
//      one with nothing changed, one in a fresh process (every file hashed again), and the same
//      1,000 files in a single folder (its list is rewritten whole).
//   2. `exec` overhead: a bubblewrap sandbox running `true` against spawning `true` directly,
//      in alternating rounds so both see the same machine load; medians.
// Real SQLite files (synchronous=FULL) in the OS temp dir and real bubblewrap. `--rounds N`
// (default 20), `--json`.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePayload } from "../src/shared/payload.js";
import { SqliteJournal } from "../src/store/sqlite/sqlite-journal.js";
import type { WorkspaceStore } from "../src/store/workspace-store.js";
import { workspaceStoreOf } from "../src/store/workspace-store-of.js";
import { runSandboxed } from "../src/tools/exec/run-sandboxed.js";
import { checkSandbox } from "../src/tools/exec/sandbox-check.js";
import { DEFAULT_LIMITS } from "../src/tools/exec/sandbox-limits.js";
import type { SnapshotResult, StatCache } from "../src/tools/workspace/snapshot-dir.js";
import { DEFAULT_WORKSPACE_LIMITS, snapshotDir } from "../src/tools/workspace/snapshot-dir.js";
import type { Figure } from "./support.js";
import { fmt, machineFacts, median, now, tempStore } from "./support.js";
import { printTable } from "./table.js";

const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
const ROUNDS = process.argv.includes("--rounds") ? Number(arg("--rounds")) : 20;
const JSON_OUT = process.argv.includes("--json");
const FILES = 1_000;
const FILE_BYTES = 1024;

/** 1,000 files of 1 KiB: `folders` folders of FILES / folders files each. */
function fillWorkspace(dir: string, folders: number): string[] {
  const paths: string[] = [];
  for (let f = 0; f < folders; f++) {
    const sub = folders === 1 ? dir : join(dir, `pkg${f}`);
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < FILES / folders; i++) {
      const path = join(sub, `file${i}.txt`);
      writeFileSync(path, `${path}\n`.padEnd(FILE_BYTES, "x"));
      paths.push(path);
    }
  }
  return paths;
}

interface SnapshotFigures {
  first: SnapshotResult & { ms: number };
  unchanged: number;
  changedMs: number;
  changedBytes: number;
  changedObjects: number;
  freshProcessMs: number;
}

async function measureSnapshots(
  store: WorkspaceStore,
  dir: string,
  folders: number,
): Promise<SnapshotFigures> {
  const paths = fillWorkspace(dir, folders);
  const cache: StatCache = new Map();
  const known = new Set<string>();
  const snap = (c = cache, k = known) =>
    snapshotDir({
      dir,
      store,
      workspace: "default",
      at: Date.now(),
      cache: c,
      known: k,
      limits: DEFAULT_WORKSPACE_LIMITS,
    });
  let t = now();
  const first = await snap();
  const firstMs = now() - t;
  const unchanged: number[] = [];
  const changedMs: number[] = [];
  const changedBytes: number[] = [];
  const changedObjects: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    t = now();
    await snap();
    unchanged.push(now() - t);
    writeFileSync(paths[(r * 37) % paths.length]!, `${dir} round ${r}\n`.padEnd(FILE_BYTES, "y"));
    t = now();
    const s = await snap();
    changedMs.push(now() - t);
    changedBytes.push(s.storedBytes);
    changedObjects.push(s.storedObjects);
  }
  const fresh: number[] = [];
  for (let r = 0; r < Math.min(ROUNDS, 5); r++) {
    t = now();
    await snap(new Map(), new Set());
    fresh.push(now() - t);
  }
  return {
    first: { ...first, ms: firstMs },
    unchanged: median(unchanged),
    changedMs: median(changedMs),
    changedBytes: median(changedBytes),
    changedObjects: median(changedObjects),
    freshProcessMs: median(fresh),
  };
}

function spawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn("/usr/bin/true", [], { stdio: "ignore" });
    c.on("error", reject);
    c.on("close", () => resolve());
  });
}

async function measureExec(): Promise<{ sandbox: number; direct: number; ratios: number[] }> {
  await checkSandbox({});
  const tmp = tempStore("exec");
  const dir = join(tmp.dir, "ws");
  mkdirSync(dir);
  chmodSync(tmp.dir, 0o755);
  if (process.getuid?.() === 0) chownSync(dir, 65534, 65534);
  const request = { command: "true", workspaceDir: dir, network: "none" as const, limits: DEFAULT_LIMITS };
  await runSandboxed(request); // warm-up
  await spawnTrue();
  const sandbox: number[] = [];
  const direct: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = now();
    await spawnTrue();
    const d = now() - t;
    t = now();
    const result = await runSandboxed(request);
    const s = now() - t;
    if (result.exitCode !== 0) throw new Error(`sandboxed true exited ${result.exitCode}: ${result.stderr}`);
    direct.push(d);
    sandbox.push(s);
    ratios.push(s / d);
  }
  tmp.cleanup();
  return { sandbox: median(sandbox), direct: median(direct), ratios };
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const tmp = tempStore("workspace");
  const journal = new SqliteJournal({ path: tmp.path, synchronous: "full" });
  await journal.createRun({
    id: "run_bench",
    workspace: "default",
    workflow: "wf",
    input: encodePayload({}, "input"),
  });
  const store = workspaceStoreOf(journal);
  try {
    for (const [label, folders] of [
      ["20 folders × 50 files", 20],
      ["1 folder × 1,000 files", 1],
    ] as const) {
      const m = await measureSnapshots(store, join(tmp.dir, `ws-${folders}`), folders);
      const section = `snapshot, ${label}`;
      figures.push(
        { section, metric: "one file changed", value: m.changedMs, unit: "ms", note: `median of ${ROUNDS}` },
        {
          section,
          metric: "bytes stored then",
          value: m.changedBytes,
          unit: "B",
          note: `${fmt(m.changedObjects)} objects: the file, and the folder lists above it`,
        },
        { section, metric: "nothing changed", value: m.unchanged, unit: "ms" },
        {
          section,
          metric: "in a fresh process",
          value: m.freshProcessMs,
          unit: "ms",
          note: "every file hashed again",
        },
        {
          section,
          metric: "first snapshot",
          value: m.first.ms,
          unit: "ms",
          note: `${fmt(m.first.storedBytes / 1024)} KiB in ${fmt(m.first.storedObjects)} objects`,
        },
      );
    }
    const e = await measureExec();
    figures.push(
      {
        section: "exec",
        metric: "sandbox + true",
        value: e.sandbox,
        unit: "ms",
        note: `median of ${ROUNDS}`,
      },
      { section: "exec", metric: "true, spawned directly", value: e.direct, unit: "ms" },
      {
        section: "exec",
        metric: "overhead",
        value: e.sandbox - e.direct,
        unit: "ms",
        note: `×${fmt(median(e.ratios))} (median of pair ratios)`,
      },
    );
  } finally {
    await journal.close();
    tmp.cleanup();
  }
  if (JSON_OUT) {
    console.log(JSON.stringify({ machine: machineFacts("full"), figures }, null, 2));
    return;
  }
  for (const [k, v] of Object.entries(machineFacts("full"))) console.log(`${k}: ${v}`);
  console.log();
  printTable(figures);
}

await main();
