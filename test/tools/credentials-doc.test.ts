/** The examples in docs/credentials.md run as written, against the built package. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { transformSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { Project } from "../cli/project.js";

const DOC = readFileSync(resolve(import.meta.dirname, "../../docs/credentials.md"), "utf8");

/** The doc's ```ts blocks that are whole programs (the policy one is a fragment of an agent). */
function examples(): string[] {
  return [...DOC.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((code) => code.includes("import "));
}

describe("docs/credentials.md", () => {
  it("its examples define tools, providers, servers and agents without an error", () => {
    const blocks = examples();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const project = new Project();
    for (const [i, code] of blocks.entries()) {
      const file = join(project.dir, `example-${i}.mjs`);
      writeFileSync(
        file,
        transformSync(code, { loader: "ts", format: "esm" }).code + '\nconsole.log("ok");\n',
      );
      const r = spawnSync(process.execPath, [file], {
        cwd: project.dir,
        encoding: "utf8",
        env: { ...process.env, ACME_CLIENT_ID: "client-1", ACME_CLIENT_SECRET: "s" },
      });
      expect(r.stderr, `example ${i + 1}:\n${code}`).toBe("");
      expect(r.stdout.trim()).toBe("ok");
    }
  });
});
