import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import type { Workflow } from "../../src/engine/workflow.js";
import { workflow } from "../../src/engine/workflow.js";
import type { Logger } from "../../src/shared/logger.js";
import { silentLogger } from "../../src/shared/logger.js";
import { createPool, IDLE_IN_TRANSACTION_MS } from "../../src/store/postgres/database.js";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import { Counter } from "../helpers.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";
import type { TcpProxy } from "../support/tcp-proxy.js";
import { startTcpProxy } from "../support/tcp-proxy.js";

/**
 * Workers on PostgreSQL in real time (no injected clock): woken by other processes' changes
 * through LISTEN/NOTIFY, paused while the database is out of reach, and back when it returns.
 */
let server: PostgresServer;
let databases = 0;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await server.stop();
});

async function freshDatabase(): Promise<string> {
  const name = `cairn_workers_${++databases}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return name;
}

async function open(url: string, logger: Logger = silentLogger, leaseTtlMs = 30_000) {
  const journal = await PostgresJournal.open({ url, max: 4, connectionTimeoutMillis: 1_000 });
  closers.push(() => journal.close());
  return (workflows: Workflow[]) => new Engine({ journal, workflows, logger, leaseTtlMs });
}

async function until(what: string, ms: number, ready: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("workers on PostgreSQL", () => {
  it("a worker claims another process's new run at once, through NOTIFY, not at its next poll", async () => {
    const url = server.urlFor(await freshDatabase());
    const wf = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));
    const here = (await open(url))([wf]);
    const there = (await open(url))([wf]);
    // A poll this long would time the test out: only a notification can wake the worker.
    const worker = new Worker(here, { pollIntervalMs: 120_000 });
    worker.start();
    closers.push(() => worker.stop());
    await sleep(300);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const { runId } = await there.start(wf);
      await until("the run to complete", 10_000, async () => {
        return (await there.journal.getRunSummary("default", runId))?.status === "completed";
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    }
  });

  it("a timer set by another worker wakes this one when due", async () => {
    const url = server.urlFor(await freshDatabase());
    const wf = workflow("nap", async ({ step }) => {
      await step.sleep("nap", "1s");
      return step.run("after", () => "awake");
    });
    const sleeper = (await open(url))([wf]);
    const waker = (await open(url))([wf]);
    // The sleeper holds the run while the other worker goes idle, then runs it up to its sleep:
    // the idle worker knew of no timer, and must learn of it.
    const { runId } = await sleeper.start(wf);
    const lease = await sleeper.claimRun(runId);
    const worker = new Worker(waker, { pollIntervalMs: 120_000 });
    worker.start();
    closers.push(() => worker.stop());
    await sleep(300);
    expect(await sleeper.execute(lease!)).toBe("waiting");
    expect((await sleeper.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    await until("the run to complete after its sleep", 10_000, async () => {
      return (await sleeper.journal.getRunSummary("default", runId))?.status === "completed";
    });
  });

  it("a concurrency limit and a singleton hold across workers on separate connections", async () => {
    const url = server.urlFor(await freshDatabase());
    let running = 0;
    let most = 0;
    const limited = workflow(
      "limited",
      async ({ step }) => {
        await step.run("work", async () => {
          most = Math.max(most, ++running);
          await sleep(30);
          running--;
        });
      },
      { concurrency: { limit: 2 } },
    );
    const single = workflow("single", async ({ step }) => step.run("work", () => sleep(10)), {
      singleton: { key: () => "only", mode: "skip" },
    });
    const engines = await Promise.all([0, 1, 2].map(async () => (await open(url))([limited, single])));
    // Nine starts at once on three engines make one run.
    const singles = await Promise.all(engines.flatMap((e) => [0, 1, 2].map(() => e.start(single))));
    expect(new Set(singles.map((r) => r.runId)).size).toBe(1);
    for (let i = 0; i < 12; i++) await engines[i % 3]!.start(limited);
    const workers = engines.map((e) => new Worker(e, { pollIntervalMs: 20 }));
    for (const w of workers) w.start();
    closers.push(() => Promise.all(workers.map((w) => w.stop())).then(() => undefined));
    await until("every run to complete", 20_000, async () => {
      const active = await engines[0]!.journal.listRuns("default", { active: true });
      return active.length === 0;
    });
    expect(most).toBe(2);
    expect(
      await engines[0]!.journal.listRuns("default", { workflow: "limited", status: "completed" }),
    ).toHaveLength(12);
  });

  it("a lost connection pauses the worker; it resumes when the database is back and finishes the run, each step once", async () => {
    const name = await freshDatabase();
    const proxy: TcpProxy = await startTcpProxy(server.port);
    closers.push(() => proxy.close());
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const c = new Counter();
    let done = 0;
    const wf = workflow("long", async ({ step }) => {
      for (let i = 0; i < 30; i++)
        await step.run(`s${i}`, async () => {
          c.hit(`s${i}`);
          await sleep(40);
          return ++done;
        });
      return "finished";
    });
    const engine = (await open(`postgres://postgres@127.0.0.1:${proxy.port}/${name}`, logger, 2_000))([wf]);
    const { runId } = await engine.start(wf);
    const worker = new Worker(engine, { pollIntervalMs: 100 });
    worker.start();
    closers.push(() => worker.stop());
    await until("a few steps", 10_000, () => done >= 5);

    proxy.cut();
    await until("the worker to pause", 10_000, () => worker.paused);
    const stepsWhenCut = done;
    await sleep(3_000); // longer than the lease: the run must be claimed afresh
    expect(done).toBeLessThanOrEqual(stepsWhenCut + 1);
    proxy.restore();

    const direct = await PostgresJournal.open({ url: server.urlFor(name), max: 1 });
    closers.push(() => direct.close());
    await until("the run to complete", 20_000, async () => {
      return (await direct.getRunSummary("default", runId))?.status === "completed";
    });
    expect(worker.paused).toBe(false);
    expect(warnings).toContain("the store is out of reach: worker paused, retrying until it answers");
    expect(warnings).toContain("the store answers again: worker resumed");
    const steps = await direct.loadSteps("default", runId);
    expect(steps.filter((s) => s.status === "completed")).toHaveLength(30);
    // Only a step in flight at the cut may run again: its result never reached the database.
    const again = [...c.counts.entries()].filter(([, n]) => n > 1);
    expect(again.length).toBeLessThanOrEqual(1);
    expect(again.every(([, n]) => n === 2)).toBe(true);
  });

  it("a run cut off from the database mid-step is handed back when it returns, not when its lease expires", async () => {
    const name = await freshDatabase();
    const proxy = await startTcpProxy(server.port);
    closers.push(() => proxy.close());
    let done = 0;
    const wf = workflow("long", async ({ step }) => {
      for (let i = 0; i < 20; i++)
        await step.run(`s${i}`, async () => {
          await sleep(40);
          return ++done;
        });
      return "finished";
    });
    // A lease far longer than the test waits: only a hand-back lets the run go on in time.
    const engine = (await open(`postgres://postgres@127.0.0.1:${proxy.port}/${name}`, silentLogger, 60_000))([
      wf,
    ]);
    const { runId } = await engine.start(wf);
    const worker = new Worker(engine, { pollIntervalMs: 100 });
    worker.start();
    closers.push(() => worker.stop());
    await until("a few steps", 10_000, () => done >= 3);
    proxy.cut();
    await until("the worker to pause", 10_000, () => worker.paused);
    proxy.restore();
    const direct = await PostgresJournal.open({ url: server.urlFor(name), max: 1 });
    closers.push(() => direct.close());
    await until("the run to complete", 10_000, async () => {
      return (await direct.getRunSummary("default", runId))?.status === "completed";
    });
    const types = (await direct.readEntries("default", runId)).map((e) => e.type);
    expect(types).toContain("run.released");
  });

  it("a worker frozen inside a transaction does not keep its run: the server ends the transaction and another worker takes the run", async () => {
    const url = server.urlFor(await freshDatabase());
    const wf = workflow("frozen", async ({ step }) => step.run("s", () => "done"));
    const engine = (await open(url))([wf]);
    const { runId } = await engine.start(wf);
    // A connection with Cairn's settings, frozen mid-transaction with the run's row locked, as a
    // SIGSTOPped worker's would be; claims skip locked rows.
    const pool = createPool(url, { max: 1 });
    const frozen = await pool.connect();
    let ended: Error | undefined;
    frozen.on("error", (err) => (ended = err));
    closers.push(async () => {
      frozen.release(true);
      await pool.end();
    });
    await frozen.query("BEGIN");
    await frozen.query("SELECT 1 FROM runs WHERE id = $1 FOR UPDATE", [runId]);
    const worker = new Worker(engine, { pollIntervalMs: 200 });
    worker.start();
    closers.push(() => worker.stop());
    await until(
      "the run to complete once the server ends the frozen transaction",
      IDLE_IN_TRANSACTION_MS + 20_000,
      async () => {
        return (await engine.journal.getRunSummary("default", runId))?.status === "completed";
      },
    );
    expect(ended?.message).toMatch(/idle-in-transaction|terminated/);
  }, 60_000);

  it("after a database restart, the worker listens again and claims new runs without polling", async () => {
    const url = server.urlFor(await freshDatabase());
    const wf = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));
    const here = (await open(url))([wf]);
    const worker = new Worker(here, { pollIntervalMs: 120_000 });
    worker.start();
    closers.push(() => worker.stop());
    await sleep(300);
    await server.halt("fast");
    await sleep(500);
    await server.resume();
    const there = (await open(url))([wf]);
    // The first run may be found by the catch-up look after the reconnect; the second only
    // through a notification on the new connection.
    for (let i = 0; i < 2; i++) {
      const { runId } = await there.start(wf);
      await until("the run to complete", 15_000, async () => {
        return (await there.journal.getRunSummary("default", runId))?.status === "completed";
      });
    }
  });
});
