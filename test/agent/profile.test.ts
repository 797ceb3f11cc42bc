import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { loadAgentProfile } from "../../src/agent/profile.js";
import { tool } from "../../src/agent/tool.js";
import { tempDir } from "../helpers.js";

const search = tool({ description: "Searches", input: z.object({ q: z.string() }), execute: () => [] });

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

describe("agent profiles (agents as data)", () => {
  it("loads a YAML profile with tools from the registry and memory", () => {
    const path = file(
      "writer.yaml",
      "name: writer\ninstructions: |\n  You write short posts.\nmodel: openai:gpt-4.1-mini\ntools: [search, memory]\nmaxTurns: 5\nsession:\n  onBusy: steer\n",
    );
    const a = loadAgentProfile(path, { search });
    expect(a.name).toBe("writer");
    expect(a.options).toMatchObject({
      instructions: "You write short posts.\n",
      model: "openai:gpt-4.1-mini",
      maxTurns: 5,
      memory: true,
      session: { onBusy: "steer" },
    });
    expect(Object.keys(a.options.tools ?? {})).toEqual(["search"]);
    expect(a.workflow.id).toBe("writer");
  });

  it("loads JSON, accepting system_prompt for the instructions", () => {
    const a = loadAgentProfile(
      file(
        "p.json",
        JSON.stringify({ name: "j", system_prompt: "Hi.", model: "anthropic:claude-haiku-4-5" }),
      ),
    );
    expect(a.options.instructions).toBe("Hi.");
  });

  it("names the file and the problem when a profile is wrong", () => {
    expect(() =>
      loadAgentProfile(file("a.yaml", "name: a\ninstructions: x\nmodel: openai:x\ntools: [nope]\n"), {
        search,
      }),
    ).toThrow(/a\.yaml: unknown tool "nope" \(known: search, and memory\)/);
    expect(() => loadAgentProfile(file("b.yaml", "name: b\nmodel: openai:x\n"))).toThrow(
      /b\.yaml: .*instructions \(or system_prompt\) is required/,
    );
    expect(() =>
      loadAgentProfile(file("c.yaml", "name: c\ninstructions: x\nmodel: openai:x\ncolour: red\n")),
    ).toThrow(/c\.yaml: .*colour/);
    expect(() => loadAgentProfile(file("d.yaml", "name: [unclosed\n"))).toThrow(/d\.yaml: not valid YAML/);
    expect(() => loadAgentProfile(join(tempDir(), "missing.yaml"))).toThrow(/missing\.yaml: cannot read it/);
  });
});
