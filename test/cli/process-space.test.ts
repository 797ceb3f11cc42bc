import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { onCleanup, until } from "../helpers.js";
import { collect, countingConfig, Project } from "./project.js";

const BIN = resolve(import.meta.dirname, "../../dist/cli/main.js");

const HOLDER = countingConfig(`
const holder = workflow("holder", async ({ step }) => {
  await step.run("hold", async () => {
    mark("start:hold");
    await pause(Number(process.env.HOLD_MS));
    return "held";
  });
  return "done";
});

export default defineConfig({ workflows: [holder] });
`);

function starts(p: Project): number {
  if (!existsSync(p.counts)) return 0;
  return readFileSync(p.counts, "utf8")
    .split("\n")
    .filter((l) => l === "start:hold").length;
}

describe("workers that share a host name but not their processes", () => {
  it("a worker in another PID namespace keeps its run: no takeover, no second execution", async () => {
    const p = new Project(HOLDER);
    // Another PID namespace (as a container sharing the host's name has), the same files: its
    // process has pid 2 there, and here pid 2 is another process, started at another time.
    const inner = spawn(
      "bwrap",
      ["--dev-bind", "/", "/", "--unshare-pid", "--proc", "/proc", "--die-with-parent"].concat([
        process.execPath,
        BIN,
        "run",
        "holder",
      ]),
      {
        cwd: p.dir,
        env: {
          ...process.env,
          CAIRN_STORE: p.store,
          COUNTS_FILE: p.counts,
          HOLD_MS: "600000",
          NO_COLOR: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const innerDone = collect(inner, "cairn run holder in its own PID namespace", 170_000);
    onCleanup(async () => {
      inner.kill("SIGKILL");
      await innerDone.catch(() => undefined);
    });
    await until("the step to start in the other namespace", () => starts(p) === 1, 90_000);
    // A worker here finds the run leased by a pid it cannot see alive: it must not take it.
    const worker = await p.run(["worker", "--once"], { HOLD_MS: "10" });
    expect(worker.code, worker.stderr).toBe(0);
    expect(starts(p)).toBe(1);
    const runs = await p.json<{ status: string; workflow: string }[]>(["runs", "ls"]);
    expect(runs).toMatchObject([{ workflow: "holder", status: "running" }]);
  }, 180_000);
});
