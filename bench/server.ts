// Entry point of the server benchmark (`npm run bench:server`; not part of the test suite). On a
// real SQLite file, the HTTP API on loopback, a worker in the same process:
//   1. runs started per second through the API (POST /v1/runs, 8 clients) beside the raw store
//      insert floor (journal.createRun in a loop, same store) measured in the same run;
//   2. the latency from a step's commit to its delivery on SSE, with 1 and with 1,000
//      subscribers on one run (median, p99; target p99 under 50 ms);
//   3. the cost of streaming a 2,000-token answer: extra log writes and bytes, extra ms, against
//      the same answer not streamed.
// Options: --synchronous full|normal (default full), --json.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Entry } from "../src/store/entry-types.js";
import { newId } from "../src/shared/ids.js";
import { encodePayload } from "../src/shared/payload.js";
import type { ServerFixture } from "./server-fixture.js";
import { go, openServer, reset, TOKENS } from "./server-fixture.js";
import type { Figure, Synchronous } from "./support.js";
import { fmt, machineFacts, median, now, parseSynchronous } from "./support.js";
import { printTable } from "./table.js";

const STARTS = 600;
const ROUNDS = 3;
const CLIENTS = 8;
const TICKS = 60;
const TICK_GAP_MS = Number(process.env.TICK_GAP_MS ?? 25);

function p99(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]!;
}

async function startsPerSecond(f: ServerFixture): Promise<Figure[]> {
  const url = `${f.server.url}/v1/runs`;
  const headers = { authorization: `Bearer ${f.key}`, "content-type": "application/json" };
  const body = JSON.stringify({ workflow: "noop" });
  const input = encodePayload({}, "input");
  /** `n` starts by `CLIENTS` concurrent callers of `one`; runs per second. */
  const rate = async (n: number, one: () => Promise<void>) => {
    let next = 0;
    const t0 = now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next++ < n) await one();
      }),
    );
    return n / ((now() - t0) / 1000);
  };
  const viaApi = async () => {
    const res = await fetch(url, { method: "POST", headers, body });
    if (res.status !== 202) throw new Error(`POST /v1/runs: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  // The floor: the store's own insert of the same run, one transaction each, nothing around it.
  const raw = async () => {
    await f.engine.journal.createRun({ id: newId("run"), workspace: "default", workflow: "noop", input });
  };
  await rate(50, viaApi); // warm-up: connections, prepared statements
  // Alternating rounds, so both see the same disk and the same load; the ratio is per pair.
  const api: number[] = [];
  const floor: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    api.push(await rate(STARTS / ROUNDS, viaApi));
    floor.push(await rate(STARTS / ROUNDS, raw));
  }
  const ratio = median(api.map((a, i) => a / floor[i]!));
  return [
    {
      section: "starts",
      metric: "runs started/s via POST /v1/runs",
      value: median(api),
      unit: "runs/s",
      note: `${CLIENTS} clients, median of ${ROUNDS} rounds of ${STARTS / ROUNDS}`,
    },
    {
      section: "starts",
      metric: "raw store insert floor (createRun)",
      value: median(floor),
      unit: "runs/s",
      note: `API at ${fmt(ratio * 100)}% of the floor (median of pairs)`,
    },
  ];
}

async function deliveryLatency(f: ServerFixture, subscribers: number): Promise<Figure[]> {
  reset();
  const committed = new Map<string, number>();
  const stop = f.engine.on((p) => {
    if (p.type === "step.ended") committed.set(p.stepId, performance.timeOrigin + performance.now());
  });
  const started = await fetch(`${f.server.url}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${f.key}`, "content-type": "application/json" },
    body: JSON.stringify({ workflow: "ticker", input: { n: TICKS, gapMs: TICK_GAP_MS } }),
  });
  const runId = ((await started.json()) as { run: { id: string } }).run.id;
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname, "server-subscribers-child.ts"),
      `${f.server.url}/v1/runs/${runId}/stream`,
      f.key,
      String(subscribers),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("close", r));
  const deadline = Date.now() + 120_000;
  while (f.cairn.services.hub.stats.subscribers < subscribers) {
    if (Date.now() > deadline)
      throw new Error(
        `only ${f.cairn.services.hub.stats.subscribers} of ${subscribers} subscribers attached`,
      );
    await new Promise((r) => setTimeout(r, 10));
  }
  const fanned = new Map<string, number>();
  // Subscribed last, so called last: when it sees an event, every subscriber's frame is written.
  const probe = f.cairn.services.hub.subscribe("default", runId, {
    afterSeq: 0,
    onEvents: (events) => {
      const at = performance.timeOrigin + performance.now();
      for (const e of events) if (e.type === "step.ended") fanned.set(e.stepId!, at);
    },
    onEnd: () => undefined,
  });
  go.open(); // everyone is attached: the ticks begin
  if ((await exited) !== 0) throw new Error("the subscriber process failed");
  stop();
  const arrivals = JSON.parse(out) as { stepId: string; at: number }[];
  const latencies = arrivals
    .filter((a) => a.stepId !== "go" && committed.has(a.stepId))
    .map((a) => a.at - committed.get(a.stepId)!);
  if (process.env.BENCH_DEBUG) {
    const byStep = new Map<string, number[]>();
    for (const a of arrivals) {
      const c = committed.get(a.stepId);
      if (c === undefined) continue;
      if (!byStep.has(a.stepId)) byStep.set(a.stepId, []);
      byStep.get(a.stepId)!.push(a.at - c);
    }
    for (const [k, v] of byStep)
      console.error(
        k,
        "fanned",
        fmt(fanned.get(k)! - committed.get(k)!),
        "arrived",
        fmt(Math.min(...v)),
        fmt(median(v)),
        fmt(Math.max(...v)),
      );
  }
  probe.close();
  const label = subscribers === 1 ? "1 subscriber" : `${subscribers.toLocaleString("en-US")} subscribers`;
  const written = [...fanned]
    .filter(([k]) => k !== "go" && committed.has(k))
    .map(([k, at]) => at - committed.get(k)!);
  const p = p99(latencies);
  return [
    {
      section: "commit → SSE",
      metric: `written to all, median, ${label}`,
      value: median(written),
      unit: "ms",
      note: "commit → the frame written to every subscriber's socket",
    },
    { section: "commit → SSE", metric: `written to all, p99, ${label}`, value: p99(written), unit: "ms" },
    {
      section: "commit → SSE",
      metric: `received, median, ${label}`,
      value: median(latencies),
      unit: "ms",
      note: `${latencies.length} deliveries read by another process on the same cores`,
    },
    {
      section: "commit → SSE",
      metric: `received, p99, ${label}`,
      value: p,
      unit: "ms",
      ok: p < 50,
      note: "target < 50 ms",
    },
  ];
}

async function streamingCost(f: ServerFixture): Promise<Figure[]> {
  const one = async (stream: boolean) => {
    const t0 = now();
    const res = await fetch(`${f.server.url}/v1/runs?wait=60s`, {
      method: "POST",
      headers: { authorization: `Bearer ${f.key}`, "content-type": "application/json" },
      body: JSON.stringify({ workflow: "answer", input: { stream } }),
    });
    const body = (await res.json()) as { run: { id: string; status: string } };
    if (body.run.status !== "completed") throw new Error(`answer run ${body.run.status}`);
    const ms = now() - t0;
    const entries = await f.engine.journal.readEntries("default", body.run.id);
    const progress = entries.filter((e) => e.type === Entry.StepProgress);
    const bytes = progress.reduce((n, e) => n + JSON.stringify(e.data).length, 0);
    return { ms, entries: entries.length, writes: progress.length, bytes };
  };
  const plain: number[] = [];
  const streamed: number[] = [];
  let last = { writes: 0, bytes: 0, entries: 0 };
  let base = 0;
  for (let i = 0; i < 5; i++) {
    const a = await one(false);
    const b = await one(true);
    plain.push(a.ms);
    streamed.push(b.ms);
    last = b;
    base = a.entries;
  }
  const extra = median(streamed.map((s, i) => s - plain[i]!));
  return [
    {
      section: "2,000 tokens",
      metric: "answer not streamed",
      value: median(plain),
      unit: "ms",
      note: `${base} log entries`,
    },
    {
      section: "2,000 tokens",
      metric: "answer streamed",
      value: median(streamed),
      unit: "ms",
      note: `+${fmt(extra)} ms (median of 5 pairs)`,
    },
    {
      section: "2,000 tokens",
      metric: "extra log writes when streamed",
      value: last.writes,
      unit: "entries",
      note: `${fmt(last.bytes / 1024)} KiB; batched every 50 ms, not per token (${TOKENS} tokens)`,
    },
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { synchronous: { type: "string", default: "full" }, json: { type: "boolean", default: false } },
  });
  const synchronous: Synchronous = parseSynchronous(values.synchronous);
  const machine = machineFacts(synchronous);
  const log = (m: string) => {
    if (!values.json) console.log(m);
  };
  log("cairn server benchmark");
  for (const [k, v] of Object.entries(machine)) log(`  ${k.padEnd(9)} ${v}`);
  log("");
  const figures: Figure[] = [];
  const section = async (name: string, fn: (f: ServerFixture) => Promise<Figure[]>, worker: boolean) => {
    if (!values.json) process.stdout.write(`running ${name}…`);
    const s0 = now();
    const f = await openServer(synchronous);
    if (worker) f.worker.start();
    try {
      figures.push(...(await fn(f)));
    } finally {
      await f.close();
    }
    log(` ${fmt((now() - s0) / 1000)} s`);
  };
  await section("starts", startsPerSecond, false);
  await section("latency, 1 subscriber", (f) => deliveryLatency(f, 1), true);
  await section("latency, 1,000 subscribers", (f) => deliveryLatency(f, 1000), true);
  await section("streaming cost", streamingCost, true);
  if (values.json) {
    console.log(JSON.stringify({ machine, figures }, null, 2));
    return;
  }
  log("");
  printTable(figures);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
