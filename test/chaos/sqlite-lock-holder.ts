import Database from "better-sqlite3";

/**
 * The chaos test's lock holder: `node --import tsx sqlite-lock-holder.ts <db> <until> <everyMs>
 * <maxMs> <longAt> <longMs>`. Until `until`, every `everyMs` on average it takes the file's write
 * lock (BEGIN IMMEDIATE) and holds it for up to `maxMs`; the first hold after `longAt` lasts
 * `longMs` (past the workers' busy timeout, so their writes fail with SQLITE_BUSY). Prints one line per hold: `{"heldMs":…}`.
 */
const [path, until, everyMs, maxMs, longAt, longMs] = process.argv
  .slice(2)
  .map((a, i) => (i === 0 ? a : Number(a)));
const db = new Database(path as string);
db.pragma("busy_timeout = 60000");
const blocker = new Int32Array(new SharedArrayBuffer(4));
let long = Number(longMs) > 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
while (Date.now() < Number(until)) {
  await sleep(Number(everyMs) * (0.5 + Math.random()));
  if (Date.now() >= Number(until)) break;
  const isLong = long && Date.now() >= Number(longAt);
  const heldMs = isLong ? Number(longMs) : 200 + Math.floor(Math.random() * (Number(maxMs) - 200));
  if (isLong) long = false;
  db.exec("BEGIN IMMEDIATE");
  // Holds the lock with the thread asleep, as a process stuck inside a transaction would.
  Atomics.wait(blocker, 0, 0, heldMs);
  db.exec("COMMIT");
  console.log(JSON.stringify({ heldMs }));
}
db.close();
