import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Project } from "../cli/project.js";

/** The order workflow as shipped; `body` replaces its steps for the changed versions. */
function config(body: string, extra = ""): string {
  return `import { defineConfig, workflow } from "cairn-runtime";

const order = workflow("order", async ({ step }) => {
${body}
});
const ping = workflow("ping", async ({ step }) => step.run("pong", () => "pong"));
${extra}
export default defineConfig({ workflows: [order, ping] });
`;
}

const SHIPPED = `  await step.run("reserve", () => "reserved");
  await step.run("charge", () => "charged");
  await step.sleep("cool-off", "1d");
  return step.run("ship", () => "shipped");`;

const REORDERED = `  await step.run("charge", () => "charged");
  await step.run("reserve", () => "reserved");
  await step.sleep("cool-off", "1d");
  return step.run("ship", () => "shipped");`;

const PATCHED = `  await step.run("reserve", () => "reserved");
  await step.run("charge", () => "charged");
  if (await step.patched("fraud-check")) await step.run("fraud-check", () => "ok");
  await step.sleep("cool-off", "1d");
  return step.run("ship", () => "shipped");`;

async function inFlightOrder(p: Project): Promise<string> {
  const r = await p.run(["run", "order", "--follow-for", "1s"]);
  expect(r.code, r.stderr).toBe(0);
  const id = /run (run_\w+)/.exec(r.stdout)?.[1];
  expect(id, r.stdout).toBeDefined();
  return id!;
}

describe("cairn check-replay, runs export, runs migrate", () => {
  it("an exported run passes on unchanged code and is flagged, with the step, once a step is reordered", async () => {
    const p = new Project(config(SHIPPED));
    const id = await inFlightOrder(p);
    expect((await p.run(["run", "ping"])).code).toBe(0);
    const file = join(p.dir, "order.json");
    const exported = await p.run(["runs", "export", id, "--out", file]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(`exported run ${id} to ${file}: 1 run, 3 steps`);

    const same = await p.run(["check-replay", "--file", file]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toContain("1 run replays as recorded");

    p.write("cairn.config.ts", config(REORDERED));
    const changed = await p.run(["check-replay", "--file", file]);
    expect(changed.code, changed.stderr).toBe(1);
    expect(changed.stdout).toContain(`DIVERGES ${id} order, waiting`);
    expect(changed.stdout).toContain('at position 1 (step "reserve")');
    expect(changed.stdout).toContain('expected (journal): step "reserve" (run)');
    expect(changed.stdout).toContain('found (code now):   step "charge" (run)');
    expect(changed.stdout).toContain("1 of 1 run diverge from the current code");

    // The store's own runs: the order diverges, the ping (unchanged) passes.
    const json = await p.run(["check-replay", "--json"]);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout) as {
      passed: string[];
      diverged: { runId: string; stepId: string }[];
    };
    expect(result.diverged.map((d) => [d.runId, d.stepId])).toEqual([[id, "reserve"]]);
    expect(result.passed).toHaveLength(1);
  });

  it("runs migrate refuses a run whose journal does not replay on the target code, and moves one that does", async () => {
    const p = new Project(config(SHIPPED));
    const id = await inFlightOrder(p);
    p.write("cairn.config.ts", config(REORDERED));
    const refused = await p.run(["runs", "migrate", id, "--to-version", "current"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`run ${id} does not replay on version hash:`);
    expect(refused.stderr).toContain(
      'at step "reserve" the journal has step "reserve" (run), the code step "charge" (run)',
    );

    p.write("cairn.config.ts", config(PATCHED));
    const moved = await p.json<{ migrated: boolean; from: string; to: string }>([
      "runs",
      "migrate",
      id,
      "--to-version",
      "current",
    ]);
    expect(moved.migrated).toBe(true);
    expect(moved.to).not.toBe(moved.from);
    const bad = await p.run(["runs", "migrate", id, "--to-version", "9"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('workflow "order" has no version "9" in this config');
  });
});
