import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname, "../..");
/** Screenshots of the browser tests, for people to look at (gitignored). */
export const ARTIFACTS = join(ROOT, "test-artifacts/dashboard");
const CHROMIUM = process.env.CAIRN_CHROMIUM ?? "/usr/bin/chromium";

/**
 * What the browser tests need before they start: Chromium (installed when missing, as the test
 * command does) and a dashboard built from the current sources (rebuilt when a source is newer).
 */
export function prepare(): void {
  execFileSync("bash", [join(ROOT, "scripts/ensure-chromium.sh")], { stdio: "inherit", timeout: 600_000 });
  const index = join(ROOT, "dist/dashboard/index.html");
  if (!existsSync(index) || newestSource(join(ROOT, "dashboard")) > statSync(index).mtimeMs) {
    execFileSync(
      process.execPath,
      [join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", "dashboard/vite.config.ts"],
      {
        cwd: ROOT,
        stdio: "inherit",
        timeout: 180_000,
      },
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    newest = Math.max(newest, s.isDirectory() ? newestSource(path) : s.mtimeMs);
  }
  return newest;
}

/** Headless Chromium with a fresh profile, and every console error and page error it reports. */
export class TestBrowser {
  readonly problems: string[] = [];
  private constructor(
    readonly context: BrowserContext,
    private readonly profile: string,
  ) {}

  /** Chromium on a fresh profile (its --user-data-dir), as a person's first visit. */
  static async launch(): Promise<TestBrowser> {
    const profile = mkdtempSync(join(tmpdir(), "cairn-chromium-"));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
    });
    context.setDefaultTimeout(20_000);
    for (const p of context.pages()) await p.close();
    return new TestBrowser(context, profile);
  }

  /** A new tab whose console errors and uncaught exceptions are collected. */
  async page(): Promise<Page> {
    const page = await this.context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error") this.problems.push(`console error on ${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => this.problems.push(`uncaught on ${page.url()}: ${e.message}`));
    return page;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profile, { recursive: true, force: true });
  }
}

/** Waits for a locator to be visible, failing with what was awaited. */
export async function seen(locator: Locator, what: string, timeoutMs = 20_000): Promise<Locator> {
  try {
    await locator.first().waitFor({ state: "visible", timeout: timeoutMs });
  } catch (err) {
    // What the page showed instead, for whoever reads the failure.
    await locator
      .page()
      .screenshot({
        path: join(ARTIFACTS, `failed-${what.replace(/\W+/g, "-").slice(0, 60)}.png`),
        fullPage: true,
      })
      .catch(() => undefined);
    throw new Error(`waited ${timeoutMs} ms for ${what}: ${(err as Error).message.split("\n")[0]}`, {
      cause: err,
    });
  }
  return locator.first();
}

/** Waits until `check` passes (polled), failing with what was awaited and the last failure. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `waited ${timeoutMs} ms for ${what}${last instanceof Error ? `: ${last.message}` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Saves a full-page screenshot as test-artifacts/dashboard/NAME.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, timeout: 20_000 });
}

/** A link of the main navigation. */
export function navLink(page: Page, name: string | RegExp): Locator {
  return page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", typeof name === "string" ? { name, exact: true } : { name });
}

/** The page's full width: more than the viewport means it scrolls sideways. */
export async function pageWidth(page: Page): Promise<number> {
  return page.evaluate<number>("document.documentElement.scrollWidth");
}

/** The text of the element that has the keyboard focus. */
export async function focusedText(page: Page): Promise<string | null> {
  return page.evaluate<string | null>("document.activeElement && document.activeElement.textContent");
}

/** Records, in the page, every text the dashboard showed as being written live (see liveTexts). */
export async function recordLiveText(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.__live = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll(".msg-live .live-text")) {
        const text = (el.textContent || "").trim();
        if (text && !window.__live.includes(text)) window.__live.push(text);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
}

export async function liveTexts(page: Page): Promise<string[]> {
  return page.evaluate<string[]>("window.__live");
}
