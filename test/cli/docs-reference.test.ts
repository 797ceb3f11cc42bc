import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DOC, expectedDoc } from "../../scripts/docs-cli.js";
import { GLOBAL_FLAGS } from "../../src/cli/args.js";
import type { CommandDef } from "../../src/cli/command-table.js";
import { COMMANDS, findCommand } from "../../src/cli/command-table.js";
import { renderReference } from "../../src/cli/command-reference.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Every `cairn …` command line written in code in README.md and docs/*.md, with where it is. */
function documentedCommands(): { file: string; tokens: string[] }[] {
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).map((f) => `docs/${f}`)].filter((f) =>
    f.endsWith(".md"),
  );
  const found: { file: string; tokens: string[] }[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const code = [
      ...[...text.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split("\n")),
      ...[...text.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!),
    ];
    for (const line of code) {
      for (const m of line.matchAll(/(?:^|[\s(])cairn((?: +[^\s#|&;]+)+)/g)) {
        const tokens = m[1]!
          .trim()
          .split(/\s+/)
          .filter((t) => t !== "--")
          .map((t) => t.replace(/^\[|\]$/g, ""));
        found.push({ file, tokens });
      }
    }
  }
  return found;
}

describe("docs/cli.md is the CLI's own definitions", () => {
  it("its reference is what `npm run docs:cli` generates from the command table", async () => {
    const actual = readFileSync(DOC, "utf8");
    expect(actual === (await expectedDoc()), "docs/cli.md is stale: run `npm run docs:cli`").toBe(true);
  });

  it("the reference has every command and every flag of the table", () => {
    const reference = renderReference();
    for (const c of COMMANDS) {
      expect(reference, c.name).toContain(`### cairn ${c.name}\n`);
      for (const flag of Object.keys(c.flags))
        expect(reference, `${c.name} --${flag}`).toContain(`--${flag}`);
    }
  });

  it("a command added to the table appears in the reference with its flags", () => {
    const serve: CommandDef = {
      name: "serve",
      summary: "serve the HTTP API",
      flags: { port: { type: "int", value: "PORT", min: 1, max: 65_535, help: "the port" } },
      load: () => Promise.reject(new Error("not loaded in this test")),
    };
    const reference = renderReference([...COMMANDS, serve]);
    expect(reference).toContain("[`cairn serve`](#cairn-serve)");
    expect(reference).toContain("### cairn serve\n\n```\ncairn serve [--port PORT]\n```");
    expect(reference).toMatch(/\| `--port PORT` \| The port\. \| a whole number, 1 to 65,535 \|/);
  });

  it("every `cairn …` command written in README.md and docs/ exists, with the flags written", () => {
    const problems: string[] = [];
    const documented = documentedCommands();
    expect(documented.length).toBeGreaterThan(20);
    for (const { file, tokens } of documented) {
      const [first] = tokens;
      // Placeholders (`cairn COMMAND --help`, `cairn <verb>`) and `cairn --help` name no command.
      if (first === undefined || first.startsWith("-") || /^[A-Z<…]/.test(first)) continue;
      const found = findCommand(tokens);
      if (found === undefined) {
        problems.push(`${file}: cairn ${tokens.join(" ")}: no such command`);
        continue;
      }
      for (const t of found.rest.filter((t) => t.startsWith("--"))) {
        const flag = t.slice(2).split("=")[0]!;
        if (!(flag in found.command.flags) && !(flag in GLOBAL_FLAGS))
          problems.push(`${file}: cairn ${found.command.name} has no flag --${flag}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
