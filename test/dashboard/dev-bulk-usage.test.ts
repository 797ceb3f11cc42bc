import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CairnClient } from "../../src/client/index.js";
import { Project, start } from "../server/process/processes.js";
import { navLink, prepare, seen, shot, TestBrowser, until } from "./browser.js";

/** A workflow that waits for an event that never comes: runs to act on in bulk. */
const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";

const order = workflow("order", async ({ step }) => {
  return step.waitForEvent("paid", { event: "order.paid", timeout: "1h" });
});

export default defineConfig({ workflows: [order] });
`;

let browser: TestBrowser;
beforeAll(async () => {
  prepare();
  browser = await TestBrowser.launch();
}, 600_000);
afterAll(async () => {
  await browser?.close();
});

describe("the dashboard's bulk actions and usage chart, on cairn dev", () => {
  it("cancels then deletes every run a filter matches, after showing the count; charts tokens and cost per agent and model", async () => {
    const p = new Project(CONFIG);
    const dev = start(p, ["dev", "--port", "0"]);
    const url = (await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, "cairn dev to listen"))[1]!;
    const client = new CairnClient({ baseUrl: url });
    const orders = await Promise.all([1, 2, 3].map((id) => client.start("order", { id })));
    const demo = await client.start("demo.poster", { message: "tea" });
    const page = await browser.page();
    await page.goto(`${url}/runs?workflow=order&status=waiting`);
    await until("the three orders to wait", async () =>
      (await page.locator('tbody tr[data-status="waiting"]').count()) === 3 ? true : undefined,
    );

    await page.getByRole("button", { name: "Cancel all waiting order runs…" }).click();
    await seen(page.getByText("3 runs match."), "the count before cancelling");
    await shot(page, "17-bulk-cancel-confirm");
    await page.getByRole("button", { name: "Cancel 3 runs" }).click();
    await seen(page.getByText("3 runs cancelled."), "what was done");
    for (const r of orders) expect((await client.get(r.run.id)).run.status).toBe("cancelled");
    expect((await client.get(demo.run.id)).run.status).not.toBe("cancelled");

    await page.getByLabel("Status").selectOption("cancelled");
    await page.getByLabel("Action").selectOption("delete");
    await page.getByRole("button", { name: "Delete all cancelled order runs…" }).click();
    await seen(page.getByText("3 runs match."), "the count before deleting");
    await page.getByRole("button", { name: "Delete 3 runs" }).click();
    await seen(page.getByText("No run matches these filters"), "the deleted runs gone from the list");
    const left = await client.list({ workflow: "order" });
    expect(left.runs).toEqual([]);

    // The demo's two model calls so far, per agent and model, over the last day.
    await until(
      "the demo to wait for its approval",
      async () => ((await client.get(demo.run.id)).run.status === "waiting" ? true : undefined),
      30_000,
    );
    await navLink(page, "Usage").click();
    await page.getByLabel("Period", { exact: true }).selectOption("24h");
    await page.getByLabel("Show", { exact: true }).selectOption("tokens");
    await seen(
      page.locator(".legend", { hasText: "demo.poster · scripted:demo-script" }),
      "the chart's series",
    );
    expect(await page.locator(".chart rect").count()).toBeGreaterThan(0);
    const row = page.locator("table tr", { hasText: "demo.poster · scripted:demo-script" });
    // 120 + 160 tokens in, 35 + 35 out: the table beside the chart.
    await expect
      .poll(() => row.locator("td").allTextContents())
      .toEqual(["demo.poster · scripted:demo-script", "280", "70", "$0"]);
    await shot(page, "18-usage-chart");
    expect(browser.problems).toEqual([]);
    await page.close();
    await dev.stop();
  }, 180_000);
});
