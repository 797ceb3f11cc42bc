import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, start } from "../server/process/processes.js";
import {
  liveTexts,
  navLink,
  pageWidth,
  prepare,
  recordLiveText,
  seen,
  shot,
  TestBrowser,
  until,
} from "./browser.js";

/** Slow enough words that a person (and this test) sees the answer being written. */
const SLOW_WORDS = { CAIRN_DEMO_WORD_DELAY_MS: "120" };

let browser: TestBrowser;
beforeAll(async () => {
  prepare();
  browser = await TestBrowser.launch();
}, 600_000);
afterAll(async () => {
  await browser?.close();
});

describe("the dashboard on cairn serve with an API key, and a worker", () => {
  it("runs the demo: the run appears live, its answer streams, the post is approved in the inbox, the run completes with every step", async () => {
    const p = new Project();
    const { key } = await p.json<{ key: string }>(["keys", "create", "dash", "--scopes", "admin"]);
    const serve = start(p, ["serve", "--port", "0"], SLOW_WORDS);
    const worker = start(p, ["worker"], SLOW_WORDS);
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/, "cairn serve to listen"))[1]!;

    // The server needs a key: the dashboard asks for one before anything else.
    const page = await browser.page();
    await page.goto(url);
    await seen(page.getByRole("heading", { name: "This server needs an API key" }), "the key form");
    await shot(page, "01-key-form");
    // A key the server does not know is refused, and the page says why and asks again.
    await page.getByLabel("API key", { exact: true }).fill("cairn_not_a_real_key");
    await page.getByRole("button", { name: "Use this key" }).click();
    await seen(page.getByText("The key was refused: unknown API key"), "the refused key's message");
    const refused = (m: string) => /status of 401/.test(m);
    expect(browser.problems.filter((m) => !refused(m))).toEqual([]);
    await page.getByLabel("API key", { exact: true }).fill(key);
    await page.getByRole("button", { name: "Use this key" }).click();
    await seen(page.getByText("No runs yet"), "the empty runs list");
    // The refused key's requests answer 401, on a busy machine some after its message is shown:
    // only those are let go, once the good key is in use.
    expect(browser.problems.filter((m) => !refused(m))).toEqual([]);
    browser.problems.length = 0;
    await shot(page, "02-runs-empty");

    // A second tab on the runs list sees the new run arrive without a reload.
    const list = await browser.page();
    await list.goto(`${url}/runs`);
    await seen(list.getByText("No runs yet"), "the runs list in the second tab");

    await navLink(page, "Start").click();
    await page.getByLabel("Message", { exact: true }).fill("lighthouses");
    await recordLiveText(page);
    await page.getByRole("button", { name: "Send to the agent" }).click();
    const runId = await until(
      "the dashboard to open the new run",
      async () => /\/runs\/(run_\w+)/.exec(page.url())?.[1],
    );
    await seen(
      list.locator(`tr[data-run-id="${runId}"]`),
      "the new run to appear live in the other tab's list",
    );

    // The conversation fills in as the worker goes; it stops at the post, which needs a person.
    await seen(
      page.locator(`article[data-run-id="${runId}"][data-status="waiting"]`),
      "the run to wait",
      60_000,
    );
    await seen(
      page.getByText("Waiting for a person to approve this call of"),
      "the approval line in the conversation",
    );
    await seen(page.locator("img.tool-image"), "the image the tool made");
    await shot(page, "03-run-waiting-for-approval");
    const caption = (await page.locator('[data-step-id="model#2"] > p').first().textContent()) ?? "";
    expect(caption).toContain("Caption:");
    const live = await liveTexts(page);
    const partial = live.filter((t) => t.length < caption.length && caption.startsWith(t));
    expect(partial.length, `texts seen while being written: ${JSON.stringify(live)}`).toBeGreaterThan(0);

    // The inbox: the tool, its arguments, the agent's message; approve.
    await seen(page.locator("nav .count", { hasText: "1" }), "the pending count beside Approvals");
    await navLink(page, /^Approvals/).click();
    const card = await seen(page.locator("article.approval[data-status=pending]"), "the approval card");
    await expect.poll(() => card.textContent()).toContain("demo.poster wants to call post");
    const cardText = (await card.textContent()) ?? "";
    expect(cardText).toContain("post");
    expect(cardText).toContain("The image is ready");
    expect(cardText).toContain(caption.replace(/^.*Caption: "/, "").replace(/".*$/, ""));
    await shot(page, "04-approvals-inbox");
    await card.getByRole("button", { name: "Approve", exact: true }).click();
    await seen(page.getByText("Nothing waits for approval"), "the inbox to empty");

    // The run completes; the waterfall shows every step, with tokens and cost.
    await navLink(page, "Runs").click();
    await list.bringToFront();
    await seen(
      list.locator(`tr[data-run-id="${runId}"][data-status="completed"]`),
      "the other tab to show it completed",
      30_000,
    );
    await page.bringToFront();
    await page.getByRole("link", { name: runId }).click();
    await seen(
      page.locator(`article[data-run-id="${runId}"][data-status="completed"]`),
      "the run to complete",
      30_000,
    );
    for (const id of ["model", "tool.generate_image", "model#2", "approve.post", "tool.post", "model#3"])
      await seen(
        page.locator(`li.step[data-step-id="${id}"][data-status="completed"]`),
        `step ${id} completed in the waterfall`,
      );
    await expect
      .poll(() => page.locator('li.step[data-step-id="model"] .step-usage').textContent())
      .toBe("155 tok · $0");
    await expect.poll(() => page.locator(".run-facts").textContent()).toContain("Cost$0");
    // The steps before the approval were served from the journal when the run resumed after it.
    await seen(
      page.locator('li.step[data-step-id="model"] .mark-replayed'),
      "the first model call marked replayed",
    );
    expect(await page.locator('li.step[data-step-id="model#3"] .mark-replayed').count()).toBe(0);
    // Opened from the keyboard: the step's tokens, input and output.
    await page.locator('li.step[data-step-id="tool.generate_image"] button.step-name').focus();
    await page.keyboard.press("Enter");
    const detail = await seen(
      page.locator('li.step[data-step-id="tool.generate_image"] .step-detail'),
      "the step's details",
    );
    expect(await detail.textContent()).toContain("A bright, bold poster about lighthouses");
    await seen(detail.locator('img[src^="data:image/svg+xml"]'), "the image in the step's output");
    await shot(page, "05-run-completed");

    await page.setViewportSize({ width: 390, height: 844 });
    await seen(page.locator(`article[data-run-id="${runId}"]`), "the run at phone width");
    expect(await pageWidth(page)).toBeLessThanOrEqual(391);
    await shot(page, "06-run-phone");
    await page.setViewportSize({ width: 1280, height: 900 });

    const images = join(p.dir, ".cairn/demo/images");
    expect(readdirSync(images).filter((f) => f.startsWith(runId))).toHaveLength(1);

    // Rerun from the caption step with another instruction: a new run that reuses the image.
    await page.getByRole("button", { name: "Rerun from a step…" }).click();
    await expect.poll(() => page.getByLabel("From step").inputValue()).toBe("model#2");
    await page.getByLabel(/^Instructions/).fill("Write the caption in French, and keep it short.");
    await page.getByRole("button", { name: "Start the new run" }).click();
    const forkId = await until("the dashboard to open the new run", async () => {
      const id = /\/runs\/(run_\w+)/.exec(page.url())?.[1];
      return id && id !== runId ? id : undefined;
    });
    await seen(
      page.locator(`article[data-run-id="${forkId}"][data-status="waiting"]`),
      "the rerun to wait for approval",
      60_000,
    );
    await seen(page.locator(".run-facts").getByText(`${runId}`), "where the rerun came from");
    for (const id of ["model", "tool.generate_image"])
      await seen(page.locator(`li.step[data-step-id="${id}"] .mark-reused`), `step ${id} marked reused`);
    expect(await page.locator('li.step[data-step-id="model#2"] .mark-reused').count()).toBe(0);
    await expect
      .poll(() => page.locator('li.step[data-step-id="model"] .step-usage').textContent())
      .toBe("155 tok, reused");
    await navLink(page, /^Approvals/).click();
    await (
      await seen(page.locator("article.approval[data-status=pending]"), "the rerun's approval")
    )
      .getByRole("button", { name: "Approve", exact: true })
      .click();
    await seen(page.getByText("Nothing waits for approval"), "the inbox to empty again");
    await page.goto(`${url}/runs/${forkId}`);
    await seen(
      page.locator(`article[data-run-id="${forkId}"][data-status="completed"]`),
      "the rerun to complete",
      30_000,
    );
    await shot(page, "07-rerun-from-caption-step");
    // The image tool was not called again: no image of the new run, the first one's is still the only one.
    expect(readdirSync(images).filter((f) => f.startsWith(forkId))).toEqual([]);
    expect(readdirSync(images)).toHaveLength(1);

    // The two runs side by side.
    await page.locator(".run-facts").getByRole("link", { name: "compare" }).click();
    await seen(page.locator("table.diff"), "the comparison");
    for (const id of ["model", "tool.generate_image", "model#2"])
      await seen(page.locator(`table.diff tr[data-step-id="${id}"]`), `step ${id} in the comparison`);
    await shot(page, "08-compare-runs");
    // The other tab kept up the whole time: both runs, completed, without a reload.
    await seen(
      list.locator(`tr[data-run-id="${forkId}"][data-status="completed"]`),
      "the rerun in the other tab's list",
    );
    expect(await list.locator("tbody tr").count()).toBe(2);
    await shot(list, "09-runs-list");
    expect(browser.problems).toEqual([]);
    await list.close();
    await page.close();
    await serve.stop();
    await worker.stop();
  }, 240_000);
});
