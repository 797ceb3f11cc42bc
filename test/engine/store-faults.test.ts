import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import type { WorkflowContext } from "../../src/engine/workflow.js";
import { workflow } from "../../src/engine/workflow.js";
import { Worker } from "../../src/engine/worker.js";
import type { Logger } from "../../src/shared/logger.js";
import { silentLogger } from "../../src/shared/logger.js";
import type { RunStatus } from "../../src/store/records.js";
import { Counter, onCleanup, testStore, until } from "../helpers.js";
import type { FaultyStore, StoreFault } from "../support/faulty-store.js";
import { FAULTS, faultyStore } from "../support/faulty-store.js";

/**
 * A store that fails for a while under a run (a lock held past its timeout, a full disk, a
 * dropped connection) stops the run's execution and hands the run back; the run goes on when
 * the store answers again. It is never failed for it: only the workflow's own errors fail a run.
 */

type Handler = (ctx: WorkflowContext<unknown>) => Promise<unknown>;

class Scenario {
  readonly c = new Counter();
  /** What the engine logged as errors, each with the store's error. */
  readonly errors: string[] = [];
  engine!: Engine;
  private armed = false;
  private cleared = false;

  constructor(
    readonly store: FaultyStore,
    readonly fault: StoreFault,
  ) {
    onCleanup(() => this.clear());
  }

  /** Starts the fault, once, from inside the run. It is cleared after the engine reports it. */
  async arm(runId: string): Promise<void> {
    if (this.armed) return;
    this.armed = true;
    await this.fault.start(runId);
    // Should the engine never report it, the run must still be able to end.
    setTimeout(() => void this.clear(), 10_000).unref();
  }

  private async clear(): Promise<void> {
    if (this.cleared) return;
    this.cleared = true;
    await this.fault.clear();
  }

  /** Starts a run of `handler` and a worker polling for it. */
  async start(handler: Handler): Promise<string> {
    const logger: Logger = {
      ...silentLogger,
      error: (message, fields) => {
        this.errors.push(`${message}: ${String(fields?.error)}`);
        // As an operator freeing disk space would (see StoreFault).
        if (this.fault.clearedByTest) void this.clear();
      },
    };
    const wf = workflow("faulty", handler, { steps: { backoff: { initial: 10, jitter: false } } });
    this.engine = new Engine({ journal: this.store.journal, workflows: [wf], logger });
    const worker = new Worker(this.engine, { pollIntervalMs: 50 });
    const { runId } = await this.engine.start(wf);
    worker.start();
    onCleanup(() => worker.stop());
    return runId;
  }

  async status(runId: string): Promise<RunStatus | undefined> {
    return (await this.store.observer.getRunSummary("default", runId))?.status;
  }

  /** Waits until the run reaches `status`; fails at once if it fails instead. */
  async reaches(runId: string, status: RunStatus): Promise<void> {
    await until(
      `run ${runId} to be ${status} (errors logged: ${this.errors.join("; ") || "none"})`,
      async () => {
        const now = await this.status(runId);
        if (now === "failed") {
          const run = await this.store.observer.getRunSummary("default", runId);
          throw new Error(`run ${runId} failed: ${run?.error?.message}`);
        }
        return now === status;
      },
    );
  }

  /** The engine reported the fault as a store error, naming it. */
  expectReported(): void {
    expect(this.errors.some((e) => e.includes("stopped by a store error"))).toBe(true);
    expect(this.errors.join("\n")).toMatch(this.fault.signature);
  }
}

async function scenario(faultName: string): Promise<Scenario> {
  const store = await faultyStore(testStore);
  return new Scenario(store, store.faults[faultName]!);
}

/** Ten kilobytes: a result that needs new pages in the store, so a full disk refuses it. */
const BULKY = "x".repeat(10_000);

describe.each(FAULTS[testStore])(
  "a store fault ($name) under a run",
  ({ name: faultName, refusesSmallWrites, onlyTheRunsRow }) => {
    it("at a step's commit: the run is handed back, not failed, and completes; the body ran at most once more", async () => {
      const s = await scenario(faultName);
      const runId = await s.start(async ({ step, runId }) => {
        const a = await step.run("work", async () => {
          s.c.hit("work");
          await s.arm(runId);
          return BULKY;
        });
        await step.run("after", () => s.c.hit("after"));
        return a.length;
      });
      await s.reaches(runId, "completed");
      s.expectReported();
      expect(s.c.get("work")).toBeGreaterThanOrEqual(1);
      expect(s.c.get("work")).toBeLessThanOrEqual(2);
      expect(s.c.get("after")).toBe(1);
      expect((await s.store.observer.getRun("default", runId))?.output).toBe(BULKY.length);
    });

    // An intent is a few bytes: a file that cannot grow still takes it.
    if (refusesSmallWrites)
      it("at a side-effecting step's intent: the body has not run, and runs once when the store answers", async () => {
        const s = await scenario(faultName);
        const runId = await s.start(async ({ step, runId }) => {
          await s.arm(runId);
          return step.run("charge", () => s.c.hit("charge"), { sideEffect: true });
        });
        await s.reaches(runId, "completed");
        s.expectReported();
        expect(s.c.get("charge")).toBe(1);
      });

    it("at a wait's registration: the run goes on to wait and time out", async () => {
      const s = await scenario(faultName);
      const runId = await s.start(async ({ step, runId }) => {
        await step.run("before", () => s.c.hit("before"));
        await s.arm(runId);
        const event = await step.waitForEvent("reply", {
          event: "reply",
          match: { "data.token": BULKY },
          timeout: 20,
        });
        expect(event).toBeNull();
        return step.run("after", () => s.c.hit("after"));
      });
      await s.reaches(runId, "completed");
      s.expectReported();
      expect([s.c.get("before"), s.c.get("after")]).toEqual([1, 1]);
    });

    it("at a retry's record: the step is retried, not failed", async () => {
      const s = await scenario(faultName);
      const runId = await s.start(async ({ step, runId }) => {
        return step.run(
          "flaky",
          async () => {
            if (s.c.hit("flaky") === 1) {
              await s.arm(runId);
              throw new Error(`flaky: try again ${BULKY}`);
            }
            return "ok";
          },
          { retries: 3 },
        );
      });
      await s.reaches(runId, "completed");
      s.expectReported();
      // The failed attempt, perhaps once more (its retry was not recorded), then the good one.
      expect(s.c.get("flaky")).toBeGreaterThanOrEqual(2);
      expect(s.c.get("flaky")).toBeLessThanOrEqual(3);
    });

    // Memory is not the run's row: a lock on that row does not stand in its way.
    if (!onlyTheRunsRow)
      it("inside a step body, through the journal: the run is handed back, not failed by the step", async () => {
        const s = await scenario(faultName);
        const runId = await s.start(async ({ step, runId, journal, workspace }) => {
          await step.run(
            "remember",
            async () => {
              s.c.hit("remember");
              await s.arm(runId);
              await journal.saveMemory(workspace, { agent: "faulty", user: "ana" }, "note", BULKY);
            },
            { retries: 0 },
          );
          return "remembered";
        });
        await s.reaches(runId, "completed");
        s.expectReported();
        expect(s.c.get("remember")).toBe(2);
      });

    it("at the run's completion: the run completes once the store answers", async () => {
      const s = await scenario(faultName);
      const runId = await s.start(async ({ step, runId }) => {
        await step.run("work", () => s.c.hit("work"));
        await s.arm(runId);
        return BULKY;
      });
      await s.reaches(runId, "completed");
      s.expectReported();
      expect(s.c.get("work")).toBe(1);
    });

    it("a side-effecting step whose result was lost pauses as needs-attention; retry-step runs it again", async () => {
      const s = await scenario(faultName);
      const keys: string[] = [];
      const runId = await s.start(async ({ step, runId }) => {
        return step.run(
          "charge",
          async ({ idempotencyKey }) => {
            keys.push(idempotencyKey);
            s.c.hit("charge");
            await s.arm(runId);
            return BULKY;
          },
          { sideEffect: true },
        );
      });
      await s.reaches(runId, "needs-attention");
      s.expectReported();
      expect(s.c.get("charge")).toBe(1);
      const run = await s.store.observer.getRunSummary("default", runId);
      expect(run?.reason).toContain(`cairn runs retry-step ${runId} charge`);
      await s.engine.retryStep(runId, "charge");
      await s.reaches(runId, "completed");
      expect(s.c.get("charge")).toBe(2);
      expect(keys).toEqual([`${runId}:charge`, `${runId}:charge`]);
    });

    it("a side-effecting step whose result was lost can be skipped with a result given by hand", async () => {
      const s = await scenario(faultName);
      const runId = await s.start(async ({ step, runId }) => {
        const receipt = await step.run(
          "charge",
          async () => {
            s.c.hit("charge");
            await s.arm(runId);
            return BULKY;
          },
          { sideEffect: true },
        );
        return { receipt };
      });
      await s.reaches(runId, "needs-attention");
      await s.engine.skipStep(runId, "charge", "charged by hand");
      await s.reaches(runId, "completed");
      expect(s.c.get("charge")).toBe(1);
      expect((await s.store.observer.getRun("default", runId))?.output).toEqual({
        receipt: "charged by hand",
      });
    });
  },
);
