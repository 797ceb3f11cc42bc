import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { CairnError } from "../../src/shared/errors.js";
import type { Logger } from "../../src/shared/logger.js";
import { silentLogger } from "../../src/shared/logger.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { onCleanup, tempDir, until } from "../helpers.js";

/**
 * A SQLite file deleted (or replaced) under a running worker stays open as a ghost: the worker
 * would go on claiming from it alone, never seeing the runs other processes start in the new
 * file at that path. It notices, pauses, and says what to do.
 */
describe("the SQLite file deleted under a running worker", () => {
  const hello = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));

  async function running(path: string) {
    const errors: string[] = [];
    const logger: Logger = { ...silentLogger, error: (m) => errors.push(m) };
    const journal = new SqliteJournal({ path });
    onCleanup(() => journal.close());
    const engine = new Engine({ journal, workflows: [hello], logger });
    const worker = new Worker(engine, { pollIntervalMs: 20 });
    worker.start();
    onCleanup(() => worker.stop());
    // It works before the file goes.
    const { runId } = await engine.start(hello);
    await until("the first run to complete", async () => {
      return (await journal.getRunSummary("default", runId))?.status === "completed";
    });
    return { errors, worker, journal };
  }

  it("is noticed: the worker pauses and logs that the file was deleted and to restart it", async () => {
    const path = join(tempDir(), "cairn.db");
    const { errors, worker, journal } = await running(path);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    await until("the worker to pause", () => worker.paused);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      `worker paused: the SQLite store file ${path} was deleted while this process had it open`,
    );
    expect(errors[0]).toContain("Restart this process (`cairn worker`, `cairn dev`)");

    // Another process starts a run: it lands in a new file at the same path, which this worker
    // does not see; it stays paused, and the run waits for a worker that does.
    const other = new SqliteJournal({ path });
    onCleanup(() => other.close());
    const { runId } = await new Engine({ journal: other, workflows: [hello], logger: silentLogger }).start(
      hello,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(worker.paused).toBe(true);
    expect((await other.getRunSummary("default", runId))?.status).toBe("queued");
    const err = await journal
      .claimRuns({ workspace: "default", owner: "w", ttlMs: 1000, limit: 1, workflows: ["hello"] })
      .catch((e: unknown) => e);
    expect(CairnError.is(err, "CAIRN_STORE")).toBe(true);
  });

  it("is noticed when another file is put in its place, and the worker goes on if the file comes back", async () => {
    const dir = tempDir();
    const path = join(dir, "cairn.db");
    const { errors, worker } = await running(path);
    renameSync(path, join(dir, "kept.db"));
    const other = new SqliteJournal({ path });
    onCleanup(() => other.close());
    await until("the worker to pause", () => worker.paused);
    expect(errors[0]).toContain(`the SQLite store file ${path} was replaced by another file`);

    await other.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    renameSync(join(dir, "kept.db"), path);
    await until("the worker to resume", () => !worker.paused);
  });
});
