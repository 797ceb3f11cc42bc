import { createTestEnv } from "cairn-runtime/testing";
import { afterEach, describe, expect, it } from "vitest";
import { invoiceV1, invoiceV2 } from "./invoice.js";
import { order, orderV1 } from "./order.js";

describe("shipping changes while runs are in flight", () => {
  let env: Awaited<ReturnType<typeof createTestEnv>>;
  afterEach(() => env.close());

  it("step.patched: an order in flight keeps the old path, a new order gets the fraud check", async () => {
    env = await createTestEnv({ workflows: [orderV1] });
    const inFlight = await env.start(orderV1, { id: "o-1" });
    await env.deploy({ workflows: [order] }); // the new code, as a deploy ships it
    const fresh = await env.start(order, { id: "o-2" });
    await env.advance("1d");
    expect(await inFlight.result()).toEqual({ shipped: "o-1", checked: false });
    expect(await fresh.result()).toEqual({ shipped: "o-2", checked: true });
  });

  it("versions side by side: runs of version 1 finish on 1, new runs start on 2", async () => {
    env = await createTestEnv({ workflows: [invoiceV1] });
    const old = await env.start(invoiceV1);
    await env.deploy({ workflows: [invoiceV1, invoiceV2] });
    const fresh = await env.start("invoice");
    await env.advance("7d");
    expect(await old.result()).toBe("reminded once");
    expect(await fresh.result()).toBe("reminded early");
    expect((await fresh.record()).version).toBe("2");
  });

  it("a deploy that drops version 1 too early: its runs are reported and wait, never run on 2", async () => {
    env = await createTestEnv({ workflows: [invoiceV1] });
    const old = await env.start(invoiceV1);
    const unrunnable = await env.deploy({ workflows: [invoiceV2] });
    expect(unrunnable).toMatchObject([{ workflow: "invoice", version: "1", runs: 1 }]);
    await env.advance("7d");
    expect(await old.status()).toBe("waiting");
    expect((await old.record()).reason).toContain(`cairn runs migrate ${old.id} --to-version 2`);
  });
});
