// Entry point of the agent benchmark (`npm run bench:agent`; not part of the test suite). Runs,
// on real SQLite files in a temp dir at one durability setting, with an instant scripted model:
// the runtime overhead per agent turn against the bare AI SDK and the raw-commit floor (both
// checkpoint modes), how the journal grows with the conversation, and resuming a 200-turn run.
// Options: --synchronous full|normal (default full), --json.
import { parseArgs } from "node:util";
import type { LongRun } from "./agent-growth.js";
import { measureGrowth } from "./agent-growth.js";
import { measureResume } from "./agent-resume.js";
import { measureTurns } from "./agent-turns.js";
import { floorFigure, openFloor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { collectGarbage, fmt, machineFacts, now, parseSynchronous } from "./support.js";
import { printTable } from "./table.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      synchronous: { type: "string", default: "full" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run bench:agent -- [--synchronous full|normal] [--json]");
    return;
  }
  const synchronous = parseSynchronous(values.synchronous);
  const options: BenchOptions = { synchronous };
  const machine = {
    ...machineFacts(synchronous),
    model: "scripted, instant (answers from the prompt, no network); one no-op tool",
  };
  const log = (message: string) => {
    if (!values.json) console.log(message);
  };
  log("cairn agent benchmark");
  for (const [k, v] of Object.entries(machine)) log(`  ${k.padEnd(9)} ${v}`);
  log("");

  const figures: Figure[] = [];
  const t0 = now();
  const section = async (name: string, fn: () => Promise<Figure[]> | Figure[]) => {
    if (!values.json) process.stdout.write(`running ${name}…`);
    const s0 = now();
    figures.push(...(await fn()));
    log(` ${fmt((now() - s0) / 1000)} s`);
    await collectGarbage();
  };

  const floor = openFloor(options);
  try {
    await section("turns", () => measureTurns(options, floor));
    // The floor as measured between the turn rounds, for reference.
    figures.unshift({ ...floorFigure(floor), section: "0. floor" });
  } finally {
    floor.close();
  }
  let built: LongRun | undefined;
  try {
    await section("journal growth", async () => {
      const growth = await measureGrowth(options);
      built = growth.run;
      return growth.figures;
    });
    await section("resume", () => measureResume(options, built!));
  } finally {
    built?.cleanup();
  }
  const totalS = (now() - t0) / 1000;

  if (values.json) {
    console.log(JSON.stringify({ machine, synchronous, totalSeconds: totalS, figures }, null, 2));
    return;
  }
  log("");
  printTable(figures);
  const missed = figures.filter((f) => f.ok === false).length;
  log("");
  log(`total ${fmt(totalS)} s; ${missed === 0 ? "all targets met" : `${missed} target(s) missed`}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
