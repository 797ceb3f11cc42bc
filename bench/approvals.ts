// Entry point of the approvals benchmark (`npm run bench:approvals`; not part of the test suite).
// On real SQLite files in a temp dir at one durability setting: 1. the memory of a worker process
// with 10,000 runs waiting on approvals; 2. the time from engine.decide() to the resumed run's
// completion under a running Worker, with no other approvals pending and with 10,000 pending;
// 3. the raw-commit floor for reference. Options: --synchronous full|normal (default full),
// --poll <ms> (default 50), --decisions <n> (default 200), --waiting <n> (default 10,000), --json.
import { parseArgs } from "node:util";
import type { LatencyResult } from "./approvals-latency.js";
import { JOURNAL_CALLS, measureDecisionLatency } from "./approvals-latency.js";
import { measureApprovalsMemory } from "./approvals-memory.js";
import { floorFigure, measureFloor, openFloor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { collectGarbage, fmt, machineFacts, now, parseSynchronous, tempStore } from "./support.js";
import { printTable } from "./table.js";

/** The Worker's own default (src/engine/worker.ts), measured with fewer decisions. */
const DEFAULT_POLL_MS = 250;
const DEFAULT_POLL_DECISIONS = 40;
/**
 * How much a median may grow with 10,000 other approvals pending (measured side by side). Generous
 * for noise on a shared machine: a scan of 10,000 rows per poll or per decision would be far more.
 * decide → completed is mostly the poll wait: ±10% noise between two medians of 200.
 */
const MAX_GROWTH = 1.5;

/** Breaks a paragraph into lines of at most `width` characters. */
function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

function positiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, not "${text}"`);
  return n;
}

function latencyFigures(section: string, r: LatencyResult): Figure[] {
  const ms = (d: { median: number; p99: number; max: number }) =>
    `p99 ${fmt(d.p99)} ms, max ${fmt(d.max)} ms`;
  const us = (d: { p99: number }) => `p99 ${fmt(d.p99)} µs`;
  return [
    {
      section,
      metric: `decide → completed (${r.label})`,
      value: r.latency.median,
      unit: "ms",
      note: `median of ${r.decisions}; ${ms(r.latency)}; poll ${r.pollIntervalMs} ms`,
    },
    {
      section,
      metric: "  found: decide → run.started (claimed)",
      value: r.discovery.median,
      unit: "ms",
      note: `${ms(r.discovery)}; expected ≈ poll/2 = ${fmt(r.pollIntervalMs / 2)} ms + one claim`,
    },
    {
      section,
      metric: "  executed: run.started → run.ended",
      value: r.execution.median,
      unit: "ms",
      note: `${ms(r.execution)}; settle the approval, step "apply", complete: 3 commits`,
    },
    {
      section,
      metric: "  decide() call (1 commit)",
      value: r.decideCall.median,
      unit: "ms",
      note: ms(r.decideCall),
    },
    {
      section,
      metric: "  idle poll: claim(10) + nextWakeAt",
      value: r.idlePollUs.median,
      unit: "µs",
      note: us(r.idlePollUs),
    },
    {
      section,
      metric: `  approvals ls: 1 page of ${r.listPageSize} pending`,
      value: r.listPageUs.median,
      unit: "µs",
      note: us(r.listPageUs),
    },
  ];
}

/** Median with `loadedCount` other approvals pending over the median with none, measured side by side. */
function growthFigure(
  section: string,
  what: string,
  base: number,
  loaded: number,
  unit: string,
  max: number,
  loadedCount: number,
): Figure {
  const ratio = loaded / base;
  return {
    section,
    metric: `${what}: ${fmt(loadedCount)} pending / none`,
    value: ratio,
    unit: "×",
    note: `${fmt(loaded)} vs ${fmt(base)} ${unit} (goal ≤ ${max}×: index lookups, no scans)`,
    ok: ratio <= max,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      synchronous: { type: "string", default: "full" },
      poll: { type: "string", default: "50" },
      decisions: { type: "string", default: "200" },
      waiting: { type: "string", default: "10000" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run bench:approvals -- [--synchronous full|normal] [--poll ms] [--decisions n] [--waiting n] [--json]",
    );
    return;
  }
  const synchronous = parseSynchronous(values.synchronous);
  const pollIntervalMs = positiveInt(values.poll, "poll");
  const decisions = positiveInt(values.decisions, "decisions");
  const waitingRuns = positiveInt(values.waiting, "waiting");
  const options: BenchOptions = { synchronous };
  const machine = {
    ...machineFacts(synchronous),
    worker: `pollIntervalMs ${pollIntervalMs} (the Worker's default is ${DEFAULT_POLL_MS}, also measured)`,
  };
  const log = (message: string) => {
    if (!values.json) console.log(message);
  };
  log("cairn approvals benchmark");
  for (const [k, v] of Object.entries(machine)) log(`  ${k.padEnd(9)} ${v}`);
  log("");

  const t0 = now();
  const section = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    if (!values.json) process.stdout.write(`running ${name}…`);
    const s0 = now();
    const result = await fn();
    log(` ${fmt((now() - s0) / 1000)} s`);
    await collectGarbage();
    return result;
  };

  const floor = openFloor(options);
  const waiting = tempStore("approvals-waiting");
  const empty = tempStore("approvals-empty");
  let memory: Figure[], none: LatencyResult, loaded: LatencyResult, atDefault: LatencyResult;
  try {
    await section("floor", () => measureFloor(floor));
    memory = await section(`memory (${fmt(waitingRuns)} waiting runs)`, () =>
      measureApprovalsMemory(options, waiting.path, waitingRuns),
    );
    floor.round();
    [none, loaded] = (await section(`${decisions} decisions each, none and ${fmt(waitingRuns)} pending`, () =>
      measureDecisionLatency(
        [
          { label: "none other pending", path: empty.path },
          { label: `${fmt(waitingRuns)} other pending`, path: waiting.path },
        ],
        { synchronous, decisions, pollIntervalMs, seed: 1 },
      ),
    )) as [LatencyResult, LatencyResult];
    floor.round();
    [atDefault] = (await section(`${DEFAULT_POLL_DECISIONS} decisions at the default poll`, () =>
      measureDecisionLatency([{ label: `default poll ${DEFAULT_POLL_MS} ms`, path: empty.path }], {
        synchronous,
        decisions: DEFAULT_POLL_DECISIONS,
        pollIntervalMs: DEFAULT_POLL_MS,
        seed: 2,
      }),
    )) as [LatencyResult];
    floor.round();
  } finally {
    floor.close();
    waiting.cleanup();
    empty.cleanup();
  }
  const totalS = (now() - t0) / 1000;

  const s2 = "2. decision → resumed";
  const figures: Figure[] = [
    ...memory,
    ...latencyFigures(s2, none),
    ...latencyFigures(s2, loaded),
    growthFigure(
      s2,
      "decide → completed",
      none.latency.median,
      loaded.latency.median,
      "ms",
      MAX_GROWTH,
      waitingRuns,
    ),
    growthFigure(
      s2,
      "decide() call",
      none.decideCall.median,
      loaded.decideCall.median,
      "ms",
      MAX_GROWTH,
      waitingRuns,
    ),
    growthFigure(
      s2,
      "executed",
      none.execution.median,
      loaded.execution.median,
      "ms",
      MAX_GROWTH,
      waitingRuns,
    ),
    growthFigure(
      s2,
      "idle poll",
      none.idlePollUs.median,
      loaded.idlePollUs.median,
      "µs",
      MAX_GROWTH,
      waitingRuns,
    ),
    growthFigure(
      s2,
      "approvals ls page",
      none.listPageUs.median,
      loaded.listPageUs.median,
      "µs",
      MAX_GROWTH,
      waitingRuns,
    ),
    ...JOURNAL_CALLS.map((c) =>
      growthFigure(
        s2,
        `  journal.${c}`,
        none.journalCallsUs[c].median,
        loaded.journalCallsUs[c].median,
        "µs",
        MAX_GROWTH,
        waitingRuns,
      ),
    ),
    ...latencyFigures(s2, atDefault).slice(0, 3),
    { ...floorFigure(floor), section: "3. floor" },
  ];
  const notes = [
    [
      "Polling: on SQLite the worker learns of a decision by polling. engine.decide() commits the",
      "decision and makes the run runnable; the worker claims it at its next poll. So decide →",
      "completed ≈ poll interval / 2 (a decision lands at a random point of the poll) + one claim +",
      "the run's execution (a few commits, each about the floor's fsync). The Worker's default poll",
      `is ${DEFAULT_POLL_MS} ms; ${pollIntervalMs} ms is measured as a realistic low setting. PostgreSQL (a later`,
      "issue) will wake the worker on LISTEN/NOTIFY instead, leaving the claim and the execution.",
    ].join(" "),
    [
      "Pending rows: the two stores of section 2 are measured side by side (decisions alternate",
      "between them), so a ratio compares figures taken under the same load; journal.* are the",
      "store calls of a decision and its resumed run, timed by wrapping the journal's methods.",
    ].join(" "),
  ];

  if (values.json) {
    console.log(
      JSON.stringify(
        {
          machine,
          synchronous,
          pollIntervalMs,
          totalSeconds: totalS,
          figures,
          latency: { none, loaded, defaultPoll: atDefault },
          notes: notes.join(" "),
        },
        null,
        2,
      ),
    );
    return;
  }
  log("");
  printTable(figures);
  log("");
  for (const note of notes) {
    log(wrap(note, 96));
    log("");
  }
  const missed = figures.filter((f) => f.ok === false).length;
  log(`total ${fmt(totalS)} s; ${missed === 0 ? "all targets met" : `${missed} target(s) missed`}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
