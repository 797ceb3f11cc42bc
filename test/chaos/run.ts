import { parseArgs } from "node:util";
import { runChaos } from "./chaos.js";
import { formatReport } from "./verify.js";

/**
 * `npm run chaos`: the full chaos test on PostgreSQL (4 workers, 500 runs, about 2.5 minutes of
 * faults); `npm run chaos -- --store sqlite` on one SQLite file; smaller with flags. Exits 1 when
 * any invariant broke.
 */
const { values } = parseArgs({
  options: {
    store: { type: "string", default: "postgres" },
    workers: { type: "string", default: "4" },
    runs: { type: "string", default: "500" },
    seconds: { type: "string", default: "150" },
    "claim-races": { type: "string", default: "5000" },
    json: { type: "boolean", default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    fail(`--${name} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

if (values.store !== "postgres" && values.store !== "sqlite")
  fail(`--store must be postgres or sqlite, got ${JSON.stringify(values.store)}`);
const seconds = positive("seconds", values.seconds);
const report = await runChaos({
  workers: positive("workers", values.workers),
  runs: positive("runs", values.runs),
  durationMs: seconds * 1_000,
  killEveryMs: 4_000,
  claimRaces: positive("claim-races", values["claim-races"]),
  store:
    values.store === "postgres"
      ? { kind: "postgres", outageMs: 5_000, restartEveryMs: 6_000 }
      : { kind: "sqlite", lockEveryMs: 6_000, lockMaxMs: 4_000, longLockMs: 13_000, cpuHog: true },
  onProgress: values.json
    ? undefined
    : (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`),
});
if (values.json) console.log(JSON.stringify(report, null, 2));
else for (const line of formatReport(report)) console.log(line);
process.exit(report.violations.length === 0 ? 0 : 1);
