import { describe, expect, it } from "vitest";
import { encodePayload } from "../../src/shared/payload.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { countingConfig, Project } from "./project.js";

const CONFIG = countingConfig(`
const quick = workflow("quick", async ({ step }) => step.run("only", () => 42));
export default defineConfig({ workflows: [quick] });
`);

describe("cairn runs show", () => {
  it("shows why a run keeps being handed back, from its log", async () => {
    const p = new Project(CONFIG);
    const journal = new SqliteJournal({ path: p.store.slice("sqlite:".length) });
    const { run } = await journal.createRun({
      id: "run_stalled",
      workspace: "default",
      workflow: "quick",
      input: encodePayload({}, "input"),
    });
    const lease = await journal.claimRun(
      { workspace: "default", owner: "w", ttlMs: 30_000, limit: 1, workflows: ["quick"] },
      run.id,
    );
    const stalled = "stopped 3 times in a row, without progress, by: the disk says no; tried again in 1 s";
    await journal.releaseRun(lease!, {
      error: { name: "StoreError", message: "the disk says no", code: "CAIRN_STORE" },
      handBacks: 3,
      delayMs: 60_000,
      stalled,
    });
    await journal.close();
    const shown = await p.run(["runs", "show", run.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/warning +stopped 3 times in a row, without progress, by: the disk says no/);
    expect(shown.stdout).toContain("(run.stalled,");
    const json = await p.json<{ warnings: { type: string; message: string }[] }>(["runs", "show", run.id]);
    expect(json.warnings).toEqual([expect.objectContaining({ type: "run.stalled", message: stalled })]);
  });
});
