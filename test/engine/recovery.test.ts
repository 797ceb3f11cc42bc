import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { hostPrefix } from "../../src/engine/owner.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { silentLogger } from "../../src/shared/logger.js";
import type { Harness } from "../helpers.js";
import { Counter, harness } from "../helpers.js";

describe("side-effecting steps interrupted mid-way", () => {
  async function setup(idempotent: boolean) {
    const c = new Counter();
    const keys: string[] = [];
    const wf = workflow("pay", async ({ step }) => {
      const receipt = await step.run(
        "charge",
        ({ idempotencyKey }) => {
          c.hit("charge");
          keys.push(idempotencyKey);
          return { receipt: "r-1" };
        },
        { sideEffect: true, idempotent },
      );
      await step.run("email", () => c.hit("email"));
      return receipt;
    });
    const h = await harness([wf], { leaseTtlMs: 1000 });
    return { c, keys, wf, h };
  }

  /** Leaves the run as a crash would: intent recorded, no result, lease expired. */
  async function crashMidStep(h: Harness, runId: string) {
    const [lease] = await h.engine.claim(1);
    await h.journal.recordIntent(lease!, {
      stepId: "charge",
      seq: 0,
      kind: "run",
      attempt: 1,
      startedAt: h.clock.now(),
      sideEffect: true,
    });
    h.clock.advance(5000);
    expect(lease!.runId).toBe(runId);
  }

  it("pauses a non-idempotent step as needs-attention; retry-step runs it again with the same key", async () => {
    const { c, keys, h, wf } = await setup(false);
    const { runId } = await h.engine.start(wf);
    await crashMidStep(h, runId);
    await h.drain();
    let run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("needs-attention");
    expect(run?.reason).toContain('step "charge" was interrupted');
    expect(c.get("charge")).toBe(0);
    await h.engine.retryStep(runId, "charge");
    await h.drain();
    run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("completed");
    expect(c.get("charge")).toBe(1);
    expect(keys).toEqual([`${runId}:charge`]);
    const attempts = await h.journal.loadAttempts("default", runId);
    expect(attempts.map((a) => a.outcome)).toEqual(["crashed"]);
  });

  it("skip-step records the given result without running the step", async () => {
    const { c, h, wf } = await setup(false);
    const { runId } = await h.engine.start(wf);
    await crashMidStep(h, runId);
    await h.drain();
    await h.engine.skipStep(runId, "charge", { receipt: "manual" });
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toEqual({ receipt: "manual" });
    expect(c.get("charge")).toBe(0);
    expect(c.get("email")).toBe(1);
  });

  it("retries an idempotent step on its own, with the same idempotency key", async () => {
    const { c, keys, h, wf } = await setup(true);
    const { runId } = await h.engine.start(wf);
    await crashMidStep(h, runId);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    expect(c.get("charge")).toBe(1);
    expect(keys).toEqual([`${runId}:charge`]);
  });
});

describe("leases", () => {
  it("a worker that lost its lease cannot commit: the new owner's results stand", async () => {
    const c = new Counter();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wf = workflow("race", async ({ step }) => {
      await step.run("slow", async () => {
        const n = c.hit("slow");
        if (n === 1) await gate;
        return `attempt by execution ${n}`;
      });
      return "done";
    });
    const h = await harness([wf], { leaseTtlMs: 1000 });
    const { runId } = await h.engine.start(wf);
    const [stale] = await h.engine.claim(1);
    const first = h.engine.execute(stale!);
    await new Promise((r) => setTimeout(r, 20));
    h.clock.advance(2000);
    const other = new Engine({ journal: h.journal, workflows: [wf], logger: silentLogger, leaseTtlMs: 1000 });
    const [fresh] = await other.claim(1);
    expect(fresh?.epoch).toBe(stale!.epoch + 1);
    expect(await other.execute(fresh!)).toBe("completed");
    release();
    expect(await first).toBe("lease-lost");
    const [step] = await h.journal.loadSteps("default", runId);
    expect(step?.output).toBe("attempt by execution 2");
  });

  it("a run whose owner process died is taken over at once on the same host", async () => {
    const wf = workflow("w", async ({ step }) => step.run("a", () => 1));
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    // A lease held by a pid that does not exist (as after SIGKILL), far from expiry.
    await h.journal.claimRuns({
      workspace: "default",
      owner: `${hostPrefix()}999999/1/dead`,
      ttlMs: 3_600_000,
      limit: 1,
      workflows: ["w"],
    });
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
  });

  it("a run leased by a live process is left alone until its lease expires", async () => {
    const wf = workflow("w2", async ({ step }) => step.run("a", () => 1));
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    await h.journal.claimRuns({
      workspace: "default",
      owner: `${hostPrefix()}${process.pid}/x/alive`,
      ttlMs: 30_000,
      limit: 1,
      workflows: ["w2"],
    });
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("running");
    await h.advance(30_000);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
  });
});

describe("a worker that cannot renew its lease", () => {
  it("stops starting steps before the lease runs out", async () => {
    const c = new Counter();
    const wf = workflow("cut-off", async ({ step }) => {
      await step.run("long", async () => {
        c.hit("long");
        await new Promise((r) => setTimeout(r, 400));
      });
      await step.run("next", () => c.hit("next"));
      return "done";
    });
    const h = await harness([wf]);
    // The store becomes unreachable for renewals only: every heartbeat fails.
    const unreachable = new Proxy(h.journal, {
      get(target, prop, receiver) {
        if (prop === "renewLease") return () => Promise.reject(new Error("connection refused"));
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const engine = new Engine({
      journal: unreachable,
      workflows: [wf],
      logger: silentLogger,
      leaseTtlMs: 300,
    });
    const { runId } = await engine.start(wf);
    const [lease] = await engine.claim(1);
    expect(await engine.execute(lease!)).toBe("lease-lost");
    expect(c.get("long")).toBe(1);
    expect(c.get("next")).toBe(0);
    // The finished step still commits (its epoch is current); nothing new was started.
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => s.stepId)).toEqual(["long"]);
    // Another worker picks the run up once the lease has expired, and goes on from there.
    h.clock.advance(300);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    expect(c.get("long")).toBe(1);
    expect(c.get("next")).toBe(1);
  });
});

describe("a run whose steps never wait on I/O", () => {
  it("still renews its lease in time and completes", async () => {
    const wf = workflow("cpu-bound", async ({ step }) => {
      let sum = 0;
      for (let i = 0; i < 80; i++) {
        sum += await step.run("spin", () => {
          const until = performance.now() + 25;
          while (performance.now() < until);
          return 1;
        });
      }
      return sum;
    });
    // 80 × 25 ms of busy steps is twice a 1 s lease: heartbeats must not starve. (A lease much
    // shorter would be outlasted by one round trip to the store on a loaded machine.)
    const h = await harness([wf], { leaseTtlMs: 1_000 });
    const { runId } = await h.engine.start(wf);
    await h.drain();
    const run = await h.journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(run?.output).toBe(80);
    const entries = await h.journal.readEntries("default", runId);
    expect(entries.filter((e) => e.type === "run.started")).toHaveLength(1);
  });
});

describe("a worker shutting down", () => {
  it("finishes the steps in hand, hands the run back, and another worker goes on from there", async () => {
    const c = new Counter();
    const wf = workflow("three-slow", async ({ step }) => {
      for (const s of ["a", "b", "c"]) {
        await step.run(s, async () => {
          c.hit(s);
          await new Promise((r) => setTimeout(r, 100));
        });
      }
      return "done";
    });
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf);
    const worker = new Worker(h.engine, { pollIntervalMs: 10 });
    worker.start();
    while (c.get("a") === 0) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.status).toBe("queued");
    expect(run?.leaseOwner).toBeNull();
    expect((await h.journal.loadSteps("default", runId)).map((s) => s.stepId)).toEqual(["a"]);
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    expect(["a", "b", "c"].map((s) => c.get(s))).toEqual([1, 1, 1]);
  });
});
