// Entry point of the PostgreSQL scale-out benchmark (`npm run bench:postgres`; not part of the
// test suite). Starts a throwaway PostgreSQL server (fsync=on, synchronous_commit=on) and runs,
// against it: the raw-commit floor (one autocommitted insert; 1 connection, and 1/2/4 at once),
// the per-step overhead of one worker process and of a run through the public API in this one
// (and where a step commit's time goes),
// steps/s and runs/s with 1, 2 and 4 worker processes (short and long runs), claim latency with
// 0 vs 100,000 waiting runs with the claim queries' plans, and two workers claiming at once.
// Options: --waiting <n> (default 100000), --claims <n> (default 200), --json.
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { startPostgres } from "../test/support/postgres-server.js";
import type { QueryPlan } from "./postgres-claim.js";
import { measureClaims } from "./postgres-claim.js";
import { measurePgFloor, openPgFloor, pgFloorFigure } from "./postgres-floor.js";
import { measureStatementParts } from "./postgres-statement.js";
import { measurePublicPg } from "./postgres-public.js";
import { TARGET_RATIO, measureScale } from "./postgres-scale.js";
import type { Figure } from "./support.js";
import { collectGarbage, fmt, machineFacts, now } from "./support.js";
import { printTable } from "./table.js";

function loadText(): string {
  return `${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} (1, 5, 15 min)`;
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 2) throw new Error(`--${flag} must be a whole number ≥ 2, not "${text}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      waiting: { type: "string", default: "100000" },
      claims: { type: "string", default: "200" },
      only: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run bench:postgres -- [--waiting 100000] [--claims 200] [--only workers|claims] [--json]",
    );
    return;
  }
  const waiting = positive(values.waiting, "waiting");
  const claims = positive(values.claims, "claims");
  const only = values.only;
  if (only !== undefined && only !== "workers" && only !== "claims")
    throw new Error(`--only must be "workers" or "claims", not "${only}"`);
  const log = (message: string) => {
    if (!values.json) console.log(message);
  };

  const server = await startPostgres({ durable: true });
  const admin = new pg.Client({ connectionString: server.url, application_name: "cairn-bench-admin" });
  try {
    await admin.connect();
    const setting = async (name: string) =>
      (await admin.query<{ setting: string }>("SELECT current_setting($1) AS setting", [name])).rows[0]!
        .setting;
    const version = (await setting("server_version")).split(" ")[0];
    const machine = {
      ...machineFacts("full"),
      store:
        `PostgreSQL ${version} (fsync=${await setting("fsync")}, synchronous_commit=${await setting("synchronous_commit")}, ` +
        `full_page_writes=${await setting("full_page_writes")}, shared_buffers=${await setting("shared_buffers")}), ` +
        `throwaway cluster in /tmp, TCP on 127.0.0.1`,
    };
    log("cairn PostgreSQL benchmark");
    for (const [k, v] of Object.entries(machine)) log(`  ${k.padEnd(9)} ${v}`);
    log("");

    const figures: Figure[] = [];
    let plans: QueryPlan[] = [];
    const t0 = now();
    const section = async (name: string, fn: () => Promise<Figure[]>) => {
      if (!values.json) process.stdout.write(`running ${name}…`);
      const s0 = now();
      figures.push(...(await fn()));
      log(` ${fmt((now() - s0) / 1000)} s`);
      await collectGarbage();
    };

    if (only !== "claims") {
      await admin.query("CREATE DATABASE cairn_floor");
      await admin.query("CREATE DATABASE cairn_scale");
      await admin.query("CREATE DATABASE cairn_public");
      await admin.query("CREATE DATABASE cairn_statement");
      const floor = await openPgFloor(server.urlFor("cairn_floor"));
      try {
        await section("floor", () => measurePgFloor(floor));
        await section("worker processes", () => measureScale({ url: server.urlFor("cairn_scale"), floor }));
        await section("public API", () =>
          measurePublicPg({ url: server.urlFor("cairn_public"), floor, admin, targetRatio: TARGET_RATIO }),
        );
        await section("the step commit's statement", () =>
          measureStatementParts(server.urlFor("cairn_statement"), floor),
        );
        // The floor's figure takes in the rounds taken between the per-step rounds too.
        figures[0] = pgFloorFigure(floor);
      } finally {
        await floor.close();
      }
    }
    if (only !== "workers")
      await section("claims", async () => {
        const result = await measureClaims({ urlFor: (db) => server.urlFor(db), admin, waiting, claims });
        plans = result.plans;
        return result.figures;
      });
    const totalS = (now() - t0) / 1000;

    if (values.json) {
      console.log(
        JSON.stringify({ machine, loadAtEnd: loadText(), totalSeconds: totalS, figures, plans }, null, 2),
      );
      return;
    }
    log("");
    printTable(figures);
    if (plans.length > 0) {
      log("");
      log(
        `plans of the claim and idle-poll queries, ${fmt(waiting)} waiting runs (EXPLAIN ANALYZE, custom plan):`,
      );
    }
    for (const p of plans) {
      log("");
      log(`-- ${p.label}: ${p.sql.length > 160 ? `${p.sql.slice(0, 157)}…` : p.sql}`);
      log(p.text.replace(/^/gm, "   "));
    }
    const missed = figures.filter((f) => f.ok === false).length;
    log("");
    log(`load at the end: ${loadText()}`);
    log(`total ${fmt(totalS)} s; ${missed === 0 ? "all targets met" : `${missed} target(s) missed`}`);
  } finally {
    await admin.end().catch(() => undefined);
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
