import type { Engine } from "../../src/engine/engine.js";
import { CairnError } from "../../src/shared/errors.js";
import type { Journal } from "../../src/store/journal.js";
import type { Faults } from "./faults.js";
import { sleep } from "./faults.js";

/**
 * Retries a client call through outages, restarts and a locked file, as a real caller would: a
 * Cairn error other than the store's is the answer, anything else (the store's) is tried again.
 */
export async function retrying<T>(what: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      if (CairnError.is(err) && err.code !== "CAIRN_STORE") throw err;
      if (signal?.aborted || attempt > 600) throw err;
      await sleep(100);
    }
  }
}

const MIX = ["chaos.steps", "chaos.sleep", "chaos.event", "chaos.parent", "chaos.approval"] as const;

/** Starts `runs` runs of the mixed workflows, spread over `overMs`. */
export async function createRuns(
  client: Engine,
  runs: number,
  overMs: number,
  signal: AbortSignal,
  faults: Faults,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < runs; i++) {
    const wf = MIX[i % MIX.length]!;
    const input = wf === "chaos.sleep" ? { sleepMs: 1_000 + Math.floor(Math.random() * 14_000) } : {};
    // The idempotency key makes a retry after an ambiguous failure return the same run.
    const { runId } = await retrying(() => client.start(wf, input, { idempotencyKey: `chaos-${i}` }), signal);
    ids.push(runId);
    if ((i + 1) % 100 === 0) faults.say(`${i + 1} runs started`);
    await sleep(overMs / runs);
  }
  return ids;
}

/** Sends each event-waiting run its event (once it waits), with a deduplication id. */
export async function sendEvents(client: Engine, observer: Journal, signal: AbortSignal, faults: Faults) {
  const sent = new Set<string>();
  while (!signal.aborted) {
    try {
      const waiting = await observer.listRuns("default", {
        workflow: "chaos.event",
        status: "waiting",
        limit: 100_000,
      });
      for (const run of waiting) {
        if (sent.has(run.id)) continue;
        await retrying(
          () =>
            client.send({
              name: "chaos.go",
              id: `go:${run.id}`,
              data: { runId: run.id, token: `ev-${run.id}` },
            }),
          signal,
        );
        sent.add(run.id);
        faults.counts.eventsSent = sent.size;
      }
    } catch {
      // The store is out of reach for a moment: look again.
    }
    await sleep(200);
  }
}

/** Decides pending approvals: two deciders race for each; every fourth is rejected. */
export async function decideApprovals(
  client: Engine,
  observer: Journal,
  signal: AbortSignal,
  faults: Faults,
) {
  let n = 0;
  while (!signal.aborted) {
    try {
      const pending = await observer.listApprovals("default", { status: "pending", limit: 1_000 });
      for (const a of pending) {
        const approve = n++ % 4 !== 0;
        const outcomes = await Promise.all(
          ["ana", "bo"].map((by) =>
            retrying(() => client.decide(a.id, { approve, by }), signal).then(
              () => "decided" as const,
              (err: unknown) => {
                if (CairnError.is(err, "CAIRN_CONFLICT")) return "conflict" as const;
                throw err;
              },
            ),
          ),
        );
        faults.counts.decisions += outcomes.filter((o) => o === "decided").length;
        faults.counts.decisionConflicts += outcomes.filter((o) => o === "conflict").length;
      }
    } catch {
      // The store is out of reach for a moment: look again.
    }
    await sleep(300);
  }
}

/** Waits until every run (children too) has ended; stops the event and approval loops then. */
export async function waitForAll(
  observer: Journal,
  topLevel: number,
  stopClients: AbortController,
  say: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + 180_000;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const active = await observer.listRuns("default", { active: true, limit: 100_000 });
      const all = await observer.listRuns("default", { limit: 100_000 });
      const line = `${all.length - active.length} of ${all.length} runs ended`;
      if (line !== last) say((last = line));
      if (active.length === 0 && all.length >= topLevel) {
        stopClients.abort();
        return true;
      }
    } catch {
      // A restart or a held lock in progress.
    }
    await sleep(500);
  }
  stopClients.abort();
  return false;
}
