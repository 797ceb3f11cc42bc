import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, start } from "../server/process/processes.js";
import { navLink, prepare, seen, shot, TestBrowser, until } from "./browser.js";

let browser: TestBrowser;
beforeAll(async () => {
  prepare();
  browser = await TestBrowser.launch();
}, 600_000);
afterAll(async () => {
  await browser?.close();
});

describe("the dashboard on cairn dev, with an agent in a session", () => {
  it("edits a tool call's arguments in the inbox, checked by the tool's schema before sending; lists the session and continues it", async () => {
    const p = new Project();
    const dev = start(p, ["dev", "--port", "0"]);
    const url = (await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, "cairn dev to listen"))[1]!;
    const page = await browser.page();
    await page.goto(`${url}/sessions`);
    await seen(page.getByText("No sessions yet"), "the empty sessions list");
    await page.goto(`${url}/approvals`);
    await seen(page.getByText("Nothing waits for approval"), "the empty inbox");

    await navLink(page, "Start").click();
    await page.getByLabel("Workflow or agent").selectOption("demo.poster");
    await page.getByLabel("Message", { exact: true }).fill("owls");
    await page.getByLabel(/^Session/).fill("nature");
    await page.getByRole("button", { name: "Send to the agent" }).click();
    const runId = await until("the new run's page", async () => /\/runs\/(run_\w+)/.exec(page.url())?.[1]);
    await seen(
      page.locator(`article[data-run-id="${runId}"][data-status="waiting"]`),
      "the run to wait for approval",
      60_000,
    );

    await navLink(page, /^Approvals/).click();
    const card = await seen(page.locator("article.approval[data-status=pending]"), "the approval card");
    await card.getByRole("button", { name: "Edit arguments…" }).click();
    const args = card.getByLabel(/^Arguments/);
    const original = JSON.parse(await args.inputValue()) as { caption: string; image: string };
    await args.fill(JSON.stringify({ ...original, caption: "x".repeat(300) }, null, 2));
    await seen(
      card.getByText("caption: Too big: expected string to have <=280 characters"),
      "the schema's complaint",
    );
    const approveEdited = card.getByRole("button", { name: "Approve with these arguments" });
    expect(await approveEdited.isDisabled()).toBe(true);
    await shot(page, "15-approval-edit-refused-by-schema");
    await args.fill(JSON.stringify({ image: original.image }));
    await seen(
      card.getByText("caption: Invalid input: expected string, received undefined"),
      "the missing caption",
    );
    const edited = "Owls at dusk, edited by a person.";
    await args.fill(JSON.stringify({ ...original, caption: edited }, null, 2));
    await until("the edited arguments to pass the check", async () =>
      (await approveEdited.isEnabled()) ? true : undefined,
    );
    await approveEdited.click();
    await seen(page.getByText("Nothing waits for approval"), "the inbox to empty");

    await page.goto(`${url}/runs/${runId}`);
    await seen(
      page.locator(`article[data-run-id="${runId}"][data-status="completed"]`),
      "the run to complete",
      30_000,
    );
    await page.locator('li.step[data-step-id="tool.post"] button.step-name').click();
    await expect
      .poll(() => page.locator('li.step[data-step-id="tool.post"] .step-detail').textContent())
      .toContain(edited);
    const outbox = join(p.dir, ".cairn/demo/outbox");
    const posted = readdirSync(outbox).map(
      (f) => JSON.parse(readFileSync(join(outbox, f), "utf8")) as { caption: string },
    );
    expect(posted.map((x) => x.caption)).toEqual([edited]);

    // The session: listed, its conversation, and a next message answered in it.
    await navLink(page, "Sessions").click();
    await page.getByRole("link", { name: "nature" }).click();
    await seen(page.getByRole("heading", { name: "nature" }), "the session page");
    await seen(
      page.locator(".conversation .msg-user", { hasText: "owls" }),
      "the first message in the session",
    );
    await shot(page, "16-session");
    await page.getByLabel("Message demo.poster in this session").fill("and now foxes");
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const next = await until("the next run's page", async () => {
      const id = /\/runs\/(run_\w+)/.exec(page.url())?.[1];
      return id && id !== runId ? id : undefined;
    });
    // The agent sees the session's history (its post went out) and answers without posting again.
    await seen(
      page.locator(`article[data-run-id="${next}"][data-status="completed"]`),
      "the next answer",
      60_000,
    );
    await seen(
      page.locator(".conversation .msg-user", { hasText: "and now foxes" }),
      "the new message in the run",
    );
    await navLink(page, "Sessions").click();
    await seen(page.locator("tr", { hasText: "nature" }).getByText("2"), "the session with two runs");
    expect(browser.problems).toEqual([]);
    await page.close();
    await dev.stop();
  }, 180_000);
});
