import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/workflow.js";
import { NonRetriableError } from "../../src/shared/errors.js";
import { Counter } from "../helpers.js";
import { testEnv } from "./support.js";

const DAY = 86_400_000;

describe("createTestEnv: time", () => {
  it("a one-day sleep completes when the test advances a day, and not before", async () => {
    const c = new Counter();
    const reminder = workflow("reminder", async ({ input, step }) => {
      await step.run("schedule", () => c.hit("schedule"));
      await step.sleep("wait-a-day", "1d");
      return step.run("remind", () => ({ reminded: (input as { to: string }).to }));
    });
    const env = await testEnv({ workflows: [reminder] });
    const started = env.now();
    const run = await env.start(reminder, { to: "ada" });
    expect(await run.status()).toBe("waiting");
    await expect(run.result()).rejects.toThrow(/has not ended: it is waiting .*wait-a-day/);
    await env.advance("23h");
    expect(await run.status()).toBe("waiting");
    await env.advance("1h");
    expect(await run.result()).toEqual({ reminded: "ada" });
    expect(c.get("schedule")).toBe(1);
    const sleep = await run.step("wait-a-day");
    expect(sleep).toMatchObject({ kind: "sleep", status: "completed", input: { until: started + DAY } });
  });

  it("fires timers in order, so a sleep set by a woken run also fires within the same advance", async () => {
    const twice = workflow("twice", async ({ step }) => {
      await step.sleep("first", "1h");
      await step.sleep("second", "1h");
      return "done";
    });
    const env = await testEnv({ workflows: [twice] });
    const run = await env.start(twice);
    await env.advance("2h");
    expect(await run.result()).toBe("done");
    const [first, second] = await run.steps();
    expect(second!.startedAt - first!.startedAt).toBe(3_600_000);
  });

  it("an event wait times out when the clock passes its timeout, and takes a sent event before", async () => {
    const shipping = workflow("shipping", async ({ input, step }) => {
      const ev = await step.waitForEvent("shipped", {
        event: "order.shipped",
        match: { "data.id": (input as { id: string }).id },
        timeout: "2d",
      });
      return ev === null ? "timed out" : ev.data;
    });
    const env = await testEnv({ workflows: [shipping] });
    const late = await env.start(shipping, { id: "a" });
    const early = await env.start(shipping, { id: "b" });
    await env.advance("1d");
    await env.send({ name: "order.shipped", data: { id: "b", carrier: "post" } });
    expect(await early.result()).toEqual({ id: "b", carrier: "post" });
    expect(await late.status()).toBe("waiting");
    await env.advance("1d");
    expect(await late.result()).toBe("timed out");
    expect((await late.step("shipped")).input).toMatchObject({
      event: "order.shipped",
      match: { "data.id": "a" },
    });
  });

  it("retry backoff elapses on the test's clock, and each attempt is in the step's record", async () => {
    let calls = 0;
    const flaky = workflow("flaky", async ({ step }) =>
      step.run(
        "call-api",
        () => {
          calls++;
          if (calls < 3) throw new Error(`503 from the API (call ${calls})`);
          return "ok";
        },
        { retries: 5, backoff: { initial: "1m", max: "1h" } },
      ),
    );
    const env = await testEnv({ workflows: [flaky] });
    const run = await env.start(flaky);
    expect(await run.status()).toBe("waiting");
    expect(calls).toBe(1);
    await env.advance("1h");
    expect(await run.result()).toBe("ok");
    const step = await run.step("call-api");
    expect(step.attempts).toBe(3);
    expect(step.failedAttempts.map((a) => a.error?.message)).toEqual([
      "503 from the API (call 1)",
      "503 from the API (call 2)",
    ]);
  });
});

describe("createTestEnv: approvals", () => {
  const refund = workflow("refund", async ({ input, step }) => {
    const amount = (input as { amount: number }).amount;
    const decision = await step.waitForApproval("approve-refund", {
      title: `refund ${amount} EUR`,
      details: { amount },
      timeout: "3d",
    });
    if (decision.status !== "approved")
      return { refunded: false, why: decision.status, reason: decision.reason };
    return step.run("pay", () => ({ refunded: true, by: decision.by }));
  });

  it("approves by run and step name; the run goes on at once", async () => {
    const env = await testEnv({ workflows: [refund] });
    const run = await env.start(refund, { amount: 40 });
    expect(await run.status()).toBe("waiting");
    const decided = await env.approve({ runId: run.id, step: "approve-refund" }, { by: "lin" });
    expect(decided.status).toBe("approved");
    expect(await run.result()).toEqual({ refunded: true, by: "lin" });
    expect((await run.step("approve-refund")).input).toEqual({ amount: 40 });
  });

  it("rejects by approval id, with a reason the workflow sees", async () => {
    const env = await testEnv({ workflows: [refund] });
    const run = await env.start(refund, { amount: 900 });
    const [pending] = await run.approvals();
    await env.reject(pending!.id, { reason: "too much" });
    expect(await run.result()).toEqual({ refunded: false, why: "rejected", reason: "too much" });
  });

  it("an undecided request expires when its timeout passes on the test's clock", async () => {
    const env = await testEnv({ workflows: [refund] });
    const run = await env.start(refund, { amount: 5 });
    await env.advance("3d");
    expect(await run.result()).toEqual({
      refunded: false,
      why: "expired",
      reason: "no decision before 2026-01-04T00:00:00.000Z",
    });
    await expect(env.approve({ runId: run.id })).rejects.toThrow(/no pending approval/);
  });
});

describe("createTestEnv: crashes", () => {
  it("a crash while a step runs loses its result; after restart the run resumes there and runs it again", async () => {
    const c = new Counter();
    const order = workflow("order", async ({ step }) => {
      await step.run("reserve", () => c.hit("reserve"));
      await step.run("charge", () => c.hit("charge"));
      await step.run("ship", () => c.hit("ship"));
      return "shipped";
    });
    const env = await testEnv({ workflows: [order] });
    const run = await env.start(order, {}, { crashAt: "charge" });
    expect(env.crashed).toEqual([{ runId: run.id, stepId: "charge" }]);
    expect(await run.status()).toBe("running");
    expect((await run.steps()).map((s) => s.id)).toEqual(["reserve"]);
    expect(c.get("charge")).toBe(1);
    await env.restart();
    expect(await run.result()).toBe("shipped");
    expect(c.get("reserve")).toBe(1);
    expect(c.get("charge")).toBe(2);
    expect(c.get("ship")).toBe(1);
  });

  it("a crash right after a step keeps its result; a side-effecting step cut off mid-way needs a person", async () => {
    const c = new Counter();
    const pay = workflow("pay", async ({ step }) => {
      await step.run("quote", () => c.hit("quote"));
      await step.run("charge-card", () => c.hit("charge"), { sideEffect: true });
      return "paid";
    });
    const env = await testEnv({ workflows: [pay] });
    const a = await env.start(pay);
    expect(await a.status()).toBe("completed");
    const b = await env.start(pay, {}, { crashAt: "quote" });
    await env.restart();
    expect(await b.result()).toBe("paid");
    const cRun = await env.start(pay);
    expect(await cRun.status()).toBe("completed");

    const d = await env.start(pay, {}, { crashAt: "charge-card" });
    await env.restart();
    expect(await d.status()).toBe("needs-attention");
    const step = await d.step("charge-card");
    expect(step.status).toBe("started");
    expect(step.sideEffect).toBe(true);
  });

  it("crashAt with after: the step's result is kept, the next step runs once after restart", async () => {
    const c = new Counter();
    const wf = workflow("two", async ({ step }) => {
      await step.run("one", () => c.hit("one"));
      await step.run("two", () => c.hit("two"));
      return "ok";
    });
    const env = await testEnv({ workflows: [wf] });
    const started = await env.engine.start(wf);
    env.crashAt(started.runId, "one", { after: true });
    await env.drain();
    const run = env.run(started.runId);
    expect((await run.steps()).map((s) => [s.id, s.status])).toEqual([["one", "completed"]]);
    expect(c.get("two")).toBe(0);
    await env.restart();
    expect(await run.result()).toBe("ok");
    expect([c.get("one"), c.get("two")]).toEqual([1, 1]);
  });

  it("without a restart, a crashed run is recovered when its lease expires on the test's clock", async () => {
    const c = new Counter();
    const wf = workflow("lease", async ({ step }) => step.run("work", () => c.hit("work")));
    const env = await testEnv({ workflows: [wf], leaseTtlMs: 60_000 });
    const run = await env.start(wf, {}, { crashAt: "work" });
    expect(await run.status()).toBe("running");
    await env.advance("59s");
    expect(await run.status()).toBe("running");
    await env.advance("1s");
    expect(await run.result()).toBe(2);
  });
});

describe("createTestEnv: results and failures", () => {
  it("result() throws the run's error; steps() shows the failed step", async () => {
    const wf = workflow("fails", async ({ step }) => {
      await step.run("validate", () => {
        throw new NonRetriableError("the card number is not valid");
      });
    });
    const env = await testEnv({ workflows: [wf] });
    const run = await env.start(wf);
    await expect(run.result()).rejects.toThrow("the card number is not valid");
    const [step] = await run.steps();
    expect(step).toMatchObject({ id: "validate", status: "failed", attempts: 1, output: undefined });
    expect(step!.error?.message).toBe("the card number is not valid");
    await expect(run.step("nope")).rejects.toThrow(/has no step "nope"; its steps: validate/);
  });

  it("a child workflow's input is its invoke step's input", async () => {
    const child = workflow("child", async ({ input }) => ({ doubled: (input as { n: number }).n * 2 }));
    const parent = workflow("parent", async ({ step }) => step.invoke("double", child, { n: 21 }));
    const env = await testEnv({ workflows: [parent, child] });
    const run = await env.start(parent);
    expect(await run.result()).toEqual({ doubled: 42 });
    expect(await run.step("double")).toMatchObject({ kind: "invoke", input: { n: 21 } });
    const [kid] = await run.children();
    expect(await kid!.result()).toEqual({ doubled: 42 });
  });
});
