/**
 * A worker in its own process, for tests that need one the test process cannot share a loop
 * with: `node --import tsx test/support/worker-process.ts <store> [leaseTtlMs]`, where store is
 * `sqlite:<path>` or a postgres:// URL. It runs FAULT_WORKFLOWS, logs as JSON lines on stderr,
 * says "ready" on stdout, and stops on SIGTERM.
 */
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { stderrLogger } from "../../src/shared/logger.js";
import { openJournalAsync } from "../../src/store/open-journal.js";
import { FAULT_WORKFLOWS } from "./fault-workflows.js";

const [store, lease] = process.argv.slice(2) as [string, string | undefined];
const journal = await openJournalAsync(store);
const engine = new Engine({
  journal,
  workflows: FAULT_WORKFLOWS,
  logger: stderrLogger("warn"),
  ...(lease ? { leaseTtlMs: Number(lease) } : {}),
});
const worker = new Worker(engine, { pollIntervalMs: 50 });
worker.start();
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  void worker
    .stop()
    .then(() => journal.close())
    .then(() => process.exit(0));
});
