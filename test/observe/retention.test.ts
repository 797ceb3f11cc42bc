import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { applyRetention } from "../../src/engine/retention.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { defineConfig } from "../../src/cli/define-config.js";
import { NonRetriableError } from "../../src/shared/errors.js";
import { silentLogger } from "../../src/shared/logger.js";
import { eventually } from "../server/support.js";
import { harness } from "../helpers.js";

const DAY = 86_400_000;
/** Over the 64 KiB kept in a row: stored as a blob, which only garbage collection removes. */
const BIG = "b".repeat(100 * 1024);

const big = workflow("big", async ({ step }) => (await step.run("make", () => BIG)).length);
const fails = workflow("fails", async ({ step }) => {
  await step.run("boom", () => {
    throw new NonRetriableError("boom");
  });
});
const parent = workflow("parent", async ({ step }) => step.invoke("child", big, {}));

async function count(h: Awaited<ReturnType<typeof harness>>, table: string): Promise<number> {
  return Number((await h.sql(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);
}

/** Drains until every run has ended (a busy machine can leave one handed back for a moment). */
async function drainUntilEnded(h: Awaited<ReturnType<typeof harness>>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await h.drain();
    const runs = await h.journal.listRuns("default");
    if (runs.every((r) => ["completed", "failed", "cancelled"].includes(r.status))) return;
    if (Date.now() > deadline)
      throw new Error(
        `runs still not ended after 30 s: ${runs.map((r) => `${r.workflow} ${r.status}`).join(", ")}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("retention", () => {
  it("deletes ended runs older than the policy keeps them, child runs with their parent, then their blobs", async () => {
    const h = await harness([big, fails, parent]);
    await h.engine.start(big, {});
    await h.engine.start(fails, {});
    await h.engine.start(parent, {});
    await drainUntilEnded(h);
    expect(await count(h, "runs")).toBe(4);
    const blobs = await count(h, "blobs");
    expect(blobs).toBeGreaterThan(0);
    const policy = { completed: "30d", failed: "90d" };

    h.clock.advance(29 * DAY);
    expect(await applyRetention(h.journal, "default", policy)).toEqual({ deleted: 0, blobs: 0, bytes: 0 });

    h.clock.advance(2 * DAY);
    const swept = await applyRetention(h.journal, "default", policy);
    // The big run, the parent and its child (completed); the failed run is kept 90 days.
    expect(swept.deleted).toBe(3);
    expect(swept.blobs).toBe(blobs);
    expect(swept.bytes).toBeGreaterThanOrEqual(BIG.length);
    const left = await h.journal.listRuns("default");
    expect(left.map((r) => [r.workflow, r.status])).toEqual([["fails", "failed"]]);
    expect(await count(h, "blobs")).toBe(0);
    expect(await count(h, "steps")).toBe(1);

    h.clock.advance(60 * DAY);
    expect((await applyRetention(h.journal, "default", policy)).deleted).toBe(1);
    expect(await h.journal.listRuns("default")).toEqual([]);
  });

  it("a started worker applies the config's retention, and refuses a retention that is not a duration", async () => {
    const h = await harness([big]);
    await h.engine.start(big, {});
    await h.drain();
    h.clock.advance(2 * DAY);
    const config = defineConfig({ workflows: [big], retention: { completed: "1d" } });
    const engine = new Engine({ journal: h.journal, workflows: [big], logger: silentLogger });
    const worker = new Worker(engine, { retention: config.retention!, pollIntervalMs: 5 });
    worker.start();
    try {
      await eventually("the worker's retention sweep to delete the old run", async () =>
        (await h.journal.listRuns("default")).length === 0 ? true : undefined,
      );
    } finally {
      await worker.stop();
    }
    expect(() => defineConfig({ retention: { completed: "a month" } })).toThrow(
      /retention.completed: "a month" is not a duration/,
    );
    expect(() => defineConfig({ retention: { done: "1d" } as never })).toThrow(/retention.done is not/);
  });
});
