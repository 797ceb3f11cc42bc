import { createTestEnv } from "cairn-runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { checkout, refund, reminder } from "./workflows.js";

describe("workflows, tested on a clock the test moves", () => {
  let env: Awaited<ReturnType<typeof createTestEnv>>;
  afterEach(() => env.close());

  it("reminds a day later", async () => {
    env = await createTestEnv({ workflows: [reminder] });
    const run = await env.start(reminder, { email: "ada@example.com" });
    expect(await run.status()).toBe("waiting");
    await env.advance("1d");
    expect(await run.result()).toEqual({ sent: "ada@example.com" });
  });

  it("pays a large refund once approved, and refuses it after 3 days without a decision", async () => {
    env = await createTestEnv({ workflows: [refund] });
    const approved = await env.start(refund, { amount: 250 });
    await env.approve({ runId: approved.id, step: "approve-refund" }, { by: "lin" });
    expect(await approved.result()).toEqual({ refunded: true, amount: 250 });

    const forgotten = await env.start(refund, { amount: 300 });
    await env.advance("3d");
    expect(await forgotten.result()).toEqual({ refunded: false, why: "expired" });
  });

  it("survives a crash mid-charge: the charge runs again with the same idempotency key", async () => {
    env = await createTestEnv({ workflows: [checkout] });
    const run = await env.start(checkout, { cart: "books" }, { crashAt: "charge" });
    expect(await run.status()).toBe("running"); // the worker died; nothing recorded for "charge"
    await env.restart();
    expect(await run.result()).toEqual({ charged: 42, key: `${run.id}:charge` });
    const steps = await run.steps();
    expect(steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ["price", "completed", 1],
      ["charge", "completed", 1],
      ["email-receipt", "completed", 1],
    ]);
  });

  it("fails with the workflow's own error", async () => {
    env = await createTestEnv({ workflows: [checkout] });
    const run = await env.start(checkout, { cart: "empty" });
    await expect(run.result()).rejects.toThrow("the cart is empty");
  });
});
