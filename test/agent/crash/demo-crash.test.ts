/**
 * `cairn demo` (offline scripted model, no server) crashes itself with SIGKILL after its first
 * model call; `cairn demo --resume` finishes the run from the journal, posting once; and
 * `--resume --no-cache` runs every step again in a new run.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Project } from "../../cli/project.js";
import type { ShowJson } from "./support.js";
import { runIdFrom } from "./support.js";

/** No key and no model in the environment: the demo stays on its offline script. */
const OFFLINE = { OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", CAIRN_DEMO_MODEL: "", CAIRN_DISABLE_CACHE: "" };

function files(p: Project, dir: string): string[] {
  const path = join(p.dir, ".cairn/demo", dir);
  return existsSync(path) ? readdirSync(path) : [];
}

async function approveAll(p: Project): Promise<void> {
  for (const a of await p.json<{ id: string }[]>(["approvals", "ls"])) {
    expect((await p.run(["approve", a.id, "--as", "tester"])).code).toBe(0);
  }
}

describe("cairn demo", () => {
  it("--crash-after 1 dies by SIGKILL; --resume serves the first model call from the journal and posts once", async () => {
    const p = new Project();
    const crashed = await p.run(["demo", "--crash-after", "1"], OFFLINE);
    expect(crashed.signal).toBe("SIGKILL");
    expect(crashed.stdout).toContain("offline scripted model");
    expect(crashed.stdout).toContain("simulated crash");
    const runId = runIdFrom(crashed.stdout);
    expect(files(p, "outbox")).toEqual([]);

    const resumed = await p.run(["demo", "--resume"], OFFLINE);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resuming run ${runId}`);
    expect(resumed.stdout).toMatch(/↺ model served from the journal/);
    expect(resumed.stdout).not.toMatch(/▸ model\n/);
    // The post waits for a person; approving it and resuming again posts it.
    expect(resumed.stdout).toContain("waiting for approval");
    await approveAll(p);
    const posted = await p.run(["demo", "--resume"], OFFLINE);
    expect(posted.stdout).toMatch(/completed: Posted an image and a caption/);
    const shown = await p.json<ShowJson>(["runs", "show", runId]);
    expect(shown.run.status).toBe("completed");
    expect(shown.steps.map((s) => s.stepId)).toEqual([
      "model",
      "tool.generate_image",
      "model#2",
      "approve.post",
      "tool.post",
      "model#3",
    ]);
    expect(shown.steps.every((s) => s.attempt === 1)).toBe(true);
    expect(files(p, "outbox")).toHaveLength(1);
    expect(files(p, "images")).toHaveLength(1);

    const fresh = await p.run(["demo", "--resume", "--no-cache"], OFFLINE);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toContain("cache disabled");
    expect(fresh.stdout).not.toContain("served from the journal");
    expect(fresh.stdout).toMatch(/▸ model\n/);
    expect(fresh.stdout).toContain("waiting for approval");
    await approveAll(p);
    expect((await p.run(["worker", "--once"], OFFLINE)).stdout).toMatch(/✓ tool\.post /);
    const newRun = /new run (run_\w+)/.exec(fresh.stdout)?.[1];
    expect(newRun).toBeDefined();
    expect(newRun).not.toBe(runId);
    expect((await p.json<ShowJson>(["runs", "show", newRun!])).run.status).toBe("completed");
    expect(files(p, "outbox")).toHaveLength(2);
  }, 60_000);
});
