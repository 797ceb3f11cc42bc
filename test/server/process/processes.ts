import type { ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import { afterEach } from "vitest";
import { Project } from "../../cli/project.js";

const ROOT = resolve(import.meta.dirname, "../../..");
/** Configs import the built package by path, whatever the package is named. */
export const DIST = resolve(ROOT, "dist/index.js");

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A long-running `cairn` process: its output so far, and waits on it. */
export class Running {
  out = "";
  err = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    children.push(child);
    child.stdout!.on("data", (d: Buffer) => (this.out += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((r) => child.on("close", (code, signal) => r({ code, signal })));
  }

  /** Waits until stdout matches, or fails naming what it waited for (and what it saw). */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.out);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `${this.child.exitCode !== null ? `the process exited (${this.child.exitCode})` : `timed out after ${timeoutMs} ms`} waiting for ${what}\nstdout: ${this.out}\nstderr: ${this.err}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends SIGTERM and waits for the exit (SIGKILL after `timeoutMs`, failing). */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(
          new Error(
            `the process did not exit within ${timeoutMs} ms of SIGTERM\nstdout: ${this.out}\nstderr: ${this.err}`,
          ),
        );
      }, timeoutMs);
    });
    let exit;
    try {
      exit = await Promise.race([this.exited, killed]);
    } finally {
      clearTimeout(timer);
    }
    // Handled, SIGTERM ends the process with a code; a signal means it died without shutting down.
    if (exit.signal !== null) {
      throw new Error(
        `the process was ended by ${exit.signal} instead of shutting down on SIGTERM\nstdout: ${this.out}\nstderr: ${this.err}`,
      );
    }
    return exit;
  }
}

export function start(p: Project, args: string[], env: Record<string, string> = {}): Running {
  return new Running(p.spawn(args, env));
}

/** A config with an agent whose scripted model streams ANSWER word by word, and a workflow. */
export function serviceConfig(wordDelayMs: number): string {
  return `import { agent, defineConfig, scriptedModel, workflow } from ${JSON.stringify(DIST)};

export const ANSWER = Array.from({ length: 30 }, (_, i) => "token" + i + " ").join("");

const helper = agent({
  name: "helper",
  instructions: "You help.",
  model: scriptedModel({ name: "script", wordDelayMs: ${wordDelayMs}, respond: () => ({ text: ANSWER }) }),
  session: { onBusy: "queue" },
});

const twoSteps = workflow("two-steps", async ({ step }) => {
  const a = await step.run("first", () => 1);
  const b = await step.run("second", () => a + 1);
  return { b };
});

export default defineConfig({ workflows: [twoSteps], agents: [helper] });
`;
}

export { Project };
