/** Agent profiles (JSON or YAML) give an agent a workspace, a sandboxed shell and skills, without code. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAgentProfile } from "../../src/agent/profile.js";
import { workspaceBuiltins } from "../../src/tools/profile-tools.js";
import { tempDir } from "../helpers.js";

function project(profile: string): { dir: string; path: string } {
  const dir = tempDir("cairn-profile-");
  mkdirSync(join(dir, "agents"));
  const path = join(dir, "agents", "coder.yaml");
  writeFileSync(path, profile);
  return { dir, path };
}

const HEAD = "name: coder\ninstructions: You write and run programs.\nmodel: openai:gpt-4.1-mini\n";

describe("profiles with workspace tools", () => {
  it("docs/workspace.md's profile loads as written", () => {
    const doc = readFileSync(join(import.meta.dirname, "../../docs/workspace.md"), "utf8");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const { dir, path } = project(yaml);
    const a = loadAgentProfile(path, {}, workspaceBuiltins(dir));
    expect(a.name).toBe("coder");
    expect(Object.keys(a.options.tools ?? {})).toHaveLength(7);
    expect(a.options.tools!.exec!.description).toContain(
      "Limits: 60 s wall time, 30 s CPU, 1024 MiB memory, 64 processes",
    );
  });

  it("name exec, the file tools and skills, with their limits", () => {
    const { dir, path } = project(
      HEAD +
        "tools: [exec, files, skills, memory]\n" +
        "workspace:\n  root: work\n  skills: skills\n  exec:\n    network: none\n    limits: { wallSeconds: 20, cpuSeconds: 5, memoryMb: 512, processes: 16 }\n",
    );
    const a = loadAgentProfile(path, {}, workspaceBuiltins(dir));
    expect(Object.keys(a.options.tools ?? {}).sort()).toEqual([
      "edit_file",
      "exec",
      "list_files",
      "load_skill",
      "read_file",
      "search_files",
      "write_file",
    ]);
    expect(a.options.memory).toBe(true);
    expect(a.options.tools!.exec!.description).toContain(
      "Limits: 20 s wall time, 5 s CPU, 512 MiB memory, 16 processes",
    );
    expect(a.options.tools!.exec!.description).toContain("There is no network access.");
    expect(typeof a.options.tools!.load_skill!.prepare).toBe("function");
  });

  it("may name single file tools, and leave exec out", () => {
    const { dir, path } = project(HEAD + "tools: [read_file, list_files]\n");
    const a = loadAgentProfile(path, {}, workspaceBuiltins(dir));
    expect(Object.keys(a.options.tools ?? {}).sort()).toEqual(["list_files", "read_file"]);
  });

  it("may let exec reach listed hosts, and tells the model which", () => {
    const { dir, path } = project(
      HEAD + 'tools: [exec]\nworkspace:\n  exec:\n    network: { allow: ["api.github.com", "*.pypi.org"] }\n',
    );
    const a = loadAgentProfile(path, {}, workspaceBuiltins(dir));
    expect(a.options.tools!.exec!.description).toContain("only HTTP and HTTPS to api.github.com, *.pypi.org");
  });

  it("names the file and the setting when the workspace settings are wrong", () => {
    const cases: [string, RegExp][] = [
      [
        "tools: [exec]\nworkspace:\n  exec:\n    limits: { wallSecs: 20 }\n",
        /agents\/coder\.yaml: workspace\.exec\.limits: Unrecognized key: "wallSecs"/,
      ],
      [
        "tools: [exec]\nworkspace:\n  exec:\n    network: internet\n",
        /workspace\.exec\.network: must be none, host or \{ allow: \[host, \.\.\.\] \}/,
      ],
      [
        'tools: [exec]\nworkspace:\n  exec:\n    network: { allow: ["https://api.github.com"] }\n',
        /network\.allow entry "https:\/\/api\.github\.com" is not a host/,
      ],
      [
        "tools: [exec]\nworkspace:\n  exec:\n    limits: { memoryMb: -1 }\n",
        /workspace\.exec\.limits\.memoryMb/,
      ],
      ["tools: [skills]\n", /the skills tool needs workspace\.skills, the skills folder/],
      [
        "tools: [memory]\nworkspace:\n  skills: skills\n",
        /workspace settings need a workspace tool in `tools`/,
      ],
      [
        "tools: [shell]\n",
        /unknown tool "shell" \(known: exec, files, read_file, write_file, edit_file, list_files, search_files, skills, load_skill, and memory\)/,
      ],
    ];
    for (const [tail, message] of cases) {
      const { dir, path } = project(HEAD + tail);
      expect(() => loadAgentProfile(path, {}, workspaceBuiltins(dir))).toThrow(message);
    }
  });
});
