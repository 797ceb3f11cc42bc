import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, start } from "../server/process/processes.js";
import { focusedText, navLink, pageWidth, prepare, seen, shot, TestBrowser, until } from "./browser.js";

/** A workflow that checks an order, then waits for it to be paid (an event). */
const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";

const order = workflow("order", async ({ input, step }) => {
  const checked = await step.run("check", () => ({ ok: true, id: (input as { id: number }).id }));
  const paid = await step.waitForEvent("paid", { event: "order.paid", timeout: "1h" });
  return { checked, paid: paid?.data ?? null };
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

async function startOrder(page: Page, input: string): Promise<string> {
  await navLink(page, "Start").click();
  await page.getByLabel("Workflow or agent").selectOption("order");
  await page.getByLabel("Input (JSON)").fill(input);
  await page.getByRole("button", { name: "Start the run" }).click();
  return until("the new run's page", async () => /\/runs\/(run_\w+)/.exec(page.url())?.[1]);
}

describe("the dashboard on cairn dev (no key)", () => {
  it("starts workflows, filters them, sends the event one waits for, cancels another; by keyboard, with clear empty and error states", async () => {
    const p = new Project(CONFIG);
    const dev = start(p, ["dev", "--port", "0"]);
    const url = (await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, "cairn dev to listen"))[1]!;
    const page = await browser.page();
    await page.goto(url);
    // cairn dev needs no key: straight to the runs.
    await seen(page.getByText("No runs yet"), "the empty runs list");
    expect(await page.getByText("This server needs an API key").count()).toBe(0);
    await shot(page, "10-dev-runs-empty");

    // The keyboard reaches everything: skip link, brand, then the navigation in order.
    await page.keyboard.press("Tab");
    await until("the skip link to take focus", async () =>
      (await focusedText(page)) === "Skip to content" ? true : undefined,
    );
    for (let i = 0; i < 6; i++) await page.keyboard.press("Tab");
    expect(await focusedText(page)).toBe("Start");
    await page.keyboard.press("Enter");
    await seen(page.getByRole("heading", { name: "Start a run" }), "the start page, reached by keyboard");

    // A malformed input is named before anything is sent.
    await page.getByLabel("Workflow or agent").selectOption("order");
    await page.getByLabel("Input (JSON)").fill("{ id: 7 ");
    await page.getByRole("button", { name: "Start the run" }).click();
    await seen(page.getByText("The input is not valid JSON"), "the JSON error");

    const paidRun = await startOrder(page, '{ "id": 7 }');
    await seen(
      page.locator(`article[data-run-id="${paidRun}"][data-status="waiting"]`),
      "the order to wait for its event",
      30_000,
    );
    const cancelled = await startOrder(page, '{ "id": 8 }');
    await seen(
      page.locator(`article[data-run-id="${cancelled}"][data-status="waiting"]`),
      "the second order to wait",
      30_000,
    );
    await page.getByRole("button", { name: "Cancel run" }).click();
    await page.getByRole("button", { name: "Cancel the run" }).click();
    await seen(
      page.locator(`article[data-run-id="${cancelled}"][data-status="cancelled"]`),
      "the second order cancelled",
      30_000,
    );

    await page.goto(`${url}/runs/${paidRun}`);
    await seen(
      page.locator('li.step[data-step-id="paid"][data-status="waiting"]'),
      "the event wait in the waterfall",
    );
    await page.getByRole("button", { name: "Send an event…" }).click();
    await page.getByLabel("Event name").fill("order.paid");
    await page.getByLabel("Data (JSON, optional)").fill('{ "amount": 5 }');
    await page.getByRole("button", { name: "Send", exact: true }).click();
    await seen(page.getByText("resumed 1 waiting run"), "the event to resume the order");
    await seen(
      page.locator(`article[data-run-id="${paidRun}"][data-status="completed"]`),
      "the order to complete",
      30_000,
    );
    await seen(
      page.locator('li.step[data-step-id="paid"][data-status="completed"]'),
      "the event step completed",
    );
    await expect.poll(() => page.getByLabel("Run output").textContent()).toContain('"amount": 5');
    await shot(page, "11-workflow-run-completed");

    // Filters live in the address; a filter nothing matches says so.
    await navLink(page, "Runs").click();
    await page.getByLabel("Status").selectOption("completed");
    await seen(page.locator(`tr[data-run-id="${paidRun}"]`), "the completed order under the filter");
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(page.url()).toContain("status=completed");
    await page.getByLabel("Status").selectOption("failed");
    await seen(page.getByText("No run matches these filters"), "the empty filtered list");
    await shot(page, "12-runs-filter-empty");
    await page.getByRole("button", { name: "Clear the filters" }).click();
    await page.getByLabel("Workflow").selectOption("order");
    await until("both orders listed", async () =>
      (await page.locator("tbody tr").count()) === 2 ? true : undefined,
    );
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await pageWidth(page)).toBeLessThanOrEqual(391);
    await shot(page, "13-runs-phone");
    await page.setViewportSize({ width: 1280, height: 900 });

    expect(browser.problems).toEqual([]);
    // A run that does not exist: a clear error, not a blank page (the browser logs the 404 itself).
    await page.goto(`${url}/runs/run_nope`);
    await seen(page.getByText("no run run_nope in this workspace"), "the not-found error state");
    await shot(page, "14-run-not-found");
    expect(browser.problems.filter((m) => !/status of 404/.test(m))).toEqual([]);
    browser.problems.length = 0;
    await page.close();
    await dev.stop();
  }, 180_000);
});
