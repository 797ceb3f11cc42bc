// Entry point of the engine benchmark (`npm run bench`; not part of the test suite). Runs, on
// real SQLite files in a temp dir at one durability setting: the raw-commit floor, step
// throughput (1 run and 8 concurrent runs, and a run through the public API), the journal's
// step commit alone (the engine's figure minus it is the engine's own cost), what a step writes
// (counted), resuming a 10,000-step run, and the process memory of 10,000 waiting runs. Options: --synchronous full|normal (default full), --json.
import { parseArgs } from "node:util";
import { floorFigure, measureFloor, openFloor } from "./floor.js";
import { measureResume } from "./resume.js";
import { measureJournalCommits } from "./step-journal.js";
import { countStepWrites } from "./step-writes.js";
import { TARGET_RATIO, measureSteps } from "./steps.js";
import { measurePublicSteps } from "./steps-public.js";
import type { BenchOptions, Figure } from "./support.js";
import { collectGarbage, fmt, machineFacts, now, parseSynchronous } from "./support.js";
import { printTable } from "./table.js";
import { measureWaitingMemory } from "./waiting-memory.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      synchronous: { type: "string", default: "full" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log("usage: npm run bench -- [--synchronous full|normal] [--json]");
    return;
  }
  const synchronous = parseSynchronous(values.synchronous);
  const options: BenchOptions = { synchronous };
  const machine = {
    ...machineFacts(synchronous),
  };
  const log = (message: string) => {
    if (!values.json) console.log(message);
  };
  log("cairn engine benchmark");
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
    await section("floor", () => measureFloor(floor));
    await section("steps", () => measureSteps(options, floor));
    await section("steps, public API", () => measurePublicSteps(options, floor, TARGET_RATIO));
    await section("journal commits alone", () => measureJournalCommits(options, floor));
    await section("writes per step", () => countStepWrites(options, floor));
    // The floor's figure takes in the rounds taken between the step rounds too.
    figures[0] = floorFigure(floor);
  } finally {
    floor.close();
  }
  await section("resume", () => measureResume(options));
  await section("waiting memory", () => measureWaitingMemory(options));
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
