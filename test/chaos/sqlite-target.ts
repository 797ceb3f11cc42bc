import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { encodePayload } from "../../src/shared/payload.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import type { ClaimRaceResult } from "./claim-race.js";
import type { Faults } from "./faults.js";
import type { ChaosTarget } from "./target.js";

export interface SqliteFaults {
  /** A process takes the file's write lock this often on average… */
  lockEveryMs: number;
  /** …and holds it for up to this long… */
  lockMaxMs: number;
  /** …and once, at 40% of the faults, for this long: past the workers' 10 s busy timeout. */
  longLockMs: number;
  /** A process spins one CPU at full speed for the whole time of the faults. */
  cpuHog: boolean;
}

const ROOT = resolve(import.meta.dirname, "../..");

/** One SQLite file (WAL, synchronous FULL) shared by every worker process. */
export function sqliteTarget(dir: string, options: SqliteFaults): ChaosTarget {
  const path = join(dir, "chaos.db");
  // The test's own connections give up on a held lock quickly and try again (see `retrying`), so
  // its timers (kills, the zombie) are not held up behind a lock the way a worker is.
  const observer = new SqliteJournal({ path, busyTimeoutMs: 250 });
  const client = new SqliteJournal({ path, busyTimeoutMs: 250 });
  return {
    describe: `SQLite ${path}`,
    storeUrl: `sqlite:${path}`,
    observer,
    client,
    faults: async (from, until, faults) => {
      await Promise.all([
        holdLocks(path, until, from + (until - from) * 0.4, options, faults),
        options.cpuHog ? cpuHog(until - Date.now(), faults) : Promise.resolve(),
      ]);
    },
    freezable: () => Promise.resolve(writeLockFree(path)),
    raceClaims: (races) => raceClaims(path, client, races),
    close: async () => {
      await observer.close();
      await client.close();
    },
  };
}

/** Whether nobody holds the file's write lock now (taken and given back at once if free). */
function writeLockFree(path: string): boolean {
  const db = new Database(path, { timeout: 0 });
  try {
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return true;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

function tsx(script: string, args: string[]) {
  return spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, script), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
}

async function holdLocks(path: string, until: number, longAt: number, o: SqliteFaults, faults: Faults) {
  const child = tsx("sqlite-lock-holder.ts", [
    path,
    String(until),
    String(o.lockEveryMs),
    String(o.lockMaxMs),
    String(longAt),
    String(o.longLockMs),
  ]);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  for await (const line of createInterface({ input: child.stdout })) {
    const { heldMs } = JSON.parse(line) as { heldMs: number };
    faults.counts.lockGrabs++;
    faults.counts.lockHeldMs += heldMs;
    if (heldMs >= o.longLockMs)
      faults.say(`the write lock was held by another process for ${heldMs / 1000} s`);
  }
  await exited;
}

async function cpuHog(ms: number, faults: Faults) {
  const child = spawn(
    process.execPath,
    ["-e", `const end = Date.now() + ${ms}; while (Date.now() < end) {}`],
    {
      stdio: "ignore",
    },
  );
  const began = Date.now();
  await new Promise<void>((r) => child.once("exit", () => r()));
  faults.counts.cpuHogMs += Date.now() - began;
}

/** Two processes race for each of `races` runs on the file; exactly one may win each. */
async function raceClaims(path: string, journal: SqliteJournal, races: number): Promise<ClaimRaceResult> {
  for (let i = 0; i < races; i++) {
    await journal.createRun({
      id: `race_${i}`,
      workspace: "default",
      workflow: i % 2 === 0 ? "chaos.race" : "chaos.race2",
      input: encodePayload(i, "input"),
    });
  }
  const startAt = String(Date.now() + 2_000);
  const racers = ["racer-a", "racer-b"].map(async (owner) => {
    const child = tsx("sqlite-racer.ts", [path, owner, String(races), startAt]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    if (code !== 0) throw new Error(`claim racer ${owner} exited with ${code}`);
    return JSON.parse(out) as string[];
  });
  const wins = new Map<string, number>();
  for (const won of await Promise.all(racers)) for (const id of won) wins.set(id, (wins.get(id) ?? 0) + 1);
  const result: ClaimRaceResult = { races, oneWinner: 0, noWinner: 0, twoWinners: 0 };
  for (let i = 0; i < races; i++) {
    const n = wins.get(`race_${i}`) ?? 0;
    if (n === 1) result.oneWinner++;
    else if (n === 0) result.noWinner++;
    else result.twoWinners++;
  }
  return result;
}
