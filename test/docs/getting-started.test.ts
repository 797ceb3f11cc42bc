import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { Project } from "../cli/project.js";

const DOC = readFileSync(resolve(import.meta.dirname, "../../docs/getting-started.md"), "utf8");

function blocks(lang: string): string[] {
  return [...DOC.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!);
}

/** Splits `npx cairn run x --input '{"a":1}'` into argv, honouring single quotes. */
function argv(line: string): string[] {
  return [...line.replace(/^npx cairn /, "").matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe("docs/getting-started.md", () => {
  it("its config and commands work as written", async () => {
    const [config] = blocks("ts");
    const p = new Project(config);
    const commands = blocks("sh")
      .flatMap((b) => b.split("\n"))
      .filter((l) => l.startsWith("npx cairn "));
    expect(commands.length).toBeGreaterThanOrEqual(4);
    let runId = "";
    for (const line of commands) {
      const args = argv(line)
        .map((a) => (a === "<run" ? runId : a))
        .filter((a) => a !== "id>");
      const r = await p.run(args);
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      runId ||= /run (run_\w+)/.exec(r.stdout)?.[1] ?? "";
      if (args[0] === "run") expect(r.stdout).toContain('waiting for event "order.confirmed"');
    }
    const shown = await p.json<{ run: { status: string; output: unknown } }>(["runs", "show", runId]);
    expect(shown.run.status).toBe("completed");
    expect(shown.run.output).toMatchObject({
      orderId: "o-42",
      shipped: true,
      label: "label-o-42",
      confirmedBy: "sam",
    });
  }, 60_000);
});
