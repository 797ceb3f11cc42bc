import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { workflow } from "../../src/engine/workflow.js";
import type { Logger } from "../../src/shared/logger.js";
import { silentLogger } from "../../src/shared/logger.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { onCleanup, tempDir, within } from "../helpers.js";
import { holdWriteLock } from "../support/faulty-store.js";

/**
 * better-sqlite3 waits for another process's write lock synchronously, holding the whole event
 * loop: the lease's heartbeat cannot run, as with a step that computes without awaiting. When
 * the store is what held the worker, the warning says so, and blames no step.
 */
describe("a lease that lapsed while SQLite waited for another process's write lock", () => {
  it("is put down to the store, not to a step", async () => {
    const path = join(tempDir(), "cairn.db");
    const journal = new SqliteJournal({ path, busyTimeoutMs: 10_000 });
    onCleanup(() => journal.close());
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const wf = workflow("locked-out", async ({ step }) => {
      await step.run("first", async () => {
        // Another process takes the write lock; this step's commit waits 1.2 s for it.
        const holder = holdWriteLock(path, 1_200);
        await within(
          new Promise<void>((resolve) =>
            holder.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve()),
          ),
          "the lock holder to take the write lock",
        );
        holder.stdin!.write("go\n");
        return 1;
      });
      await step.run("second", () => 2);
      return "done";
    });
    const engine = new Engine({ journal, workflows: [wf], logger, leaseTtlMs: 300 });
    const { runId } = await engine.start(wf);
    const [lease] = await engine.claim(1);
    const outcome = await engine.execute(lease!);
    const attempts = await journal.loadAttempts("default", runId);
    expect(outcome, JSON.stringify(attempts)).toBe("completed");
    const said = warnings.filter((w) => w.startsWith(`run ${runId}:`));
    expect(
      said.some((w) => w.includes("the store held this worker for")),
      said.join("\n"),
    ).toBe(true);
    expect(
      said.some((w) => w.includes("kept the event loop busy")),
      said.join("\n"),
    ).toBe(false);
    const entry = (await journal.readEntries("default", runId)).find((e) => e.type === "run.lease_starved");
    expect(String(entry?.data.message)).toContain("No step is at fault");
    expect(entry?.data.stepIds).toEqual([]);
  });
});
