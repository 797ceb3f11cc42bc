// Where an agent run's CPU goes, by code: samples the main thread with the V8 profiler (through
// node:inspector, in process) while a run executes, and sums the samples by who owns the
// function on top: Cairn's engine and agent loop (src/), its journal and SQLite (src/store/ and
// better-sqlite3), the AI SDK (ai, @ai-sdk, zod, web streams), the garbage collector, and the
// rest. The sampler mostly misses time blocked in fsync, so this is busy time: what Cairn's code
// costs the CPU, which varies far less with the machine's load than wall time. Measures nothing
// alone.
import type { Profiler, Runtime } from "node:inspector";
import { Session } from "node:inspector/promises";

export type Bucket = "engine + agent" | "journal + SQLite" | "AI SDK" | "GC" | "other";

function bucketOf({ url, functionName }: Runtime.CallFrame): Bucket {
  if (url.includes("/src/store/") || url.includes("/better-sqlite3/")) return "journal + SQLite";
  if (url.includes("/src/") && !url.includes("/src/agent/scripted-model.")) return "engine + agent";
  if (/\/node_modules\/(ai|@ai-sdk\/[^/]+|zod)\//.test(url)) return "AI SDK";
  // Node's web streams, which the AI SDK builds a few of per call.
  if (url.includes("webstreams") || url.includes("js_transferable") || functionName === "makeTransferable") {
    return "AI SDK";
  }
  if (functionName === "(garbage collector)") return "GC";
  return "other";
}

/** Milliseconds of busy samples in each bucket (idle time left out). */
function attribute(profile: Profiler.Profile): Record<Bucket, number> {
  const frames = new Map<number, Runtime.CallFrame>();
  for (const n of profile.nodes) frames.set(n.id, n.callFrame);
  const ms: Record<Bucket, number> = {
    "engine + agent": 0,
    "journal + SQLite": 0,
    "AI SDK": 0,
    GC: 0,
    other: 0,
  };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const frame = frames.get(samples[i]!);
    if (frame === undefined || frame.functionName === "(idle)") continue;
    ms[bucketOf(frame)] += (deltas[i] ?? 0) / 1000;
  }
  return ms;
}

/** Runs `fn` under the sampling profiler (every 250 µs); returns the ms spent in each bucket. */
export async function profileByOwner(fn: () => Promise<void>): Promise<Record<Bucket, number>> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 250 });
    await session.post("Profiler.start");
    try {
      await fn();
    } catch (err) {
      await session.post("Profiler.stop");
      throw err;
    }
    const { profile } = await session.post("Profiler.stop");
    return attribute(profile);
  } finally {
    session.disconnect();
  }
}
