import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const GUIDES = ["docs/testing.md", "docs/versioning.md"];

/** Every `<!-- example: PATH -->` block of a guide: the path and the code shown. */
function shownExamples(guide: string): { path: string; code: string }[] {
  const text = readFileSync(join(ROOT, guide), "utf8");
  return [...text.matchAll(/<!-- example: (\S+) -->\n+```ts\n([\s\S]*?)```/g)].map((m) => ({
    path: m[1]!,
    code: m[2]!,
  }));
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * The guides' examples are files under docs/examples/ that the suite runs (its *.test.ts by
 * vitest, workflows.node-test.ts by node --test in test/testing/node-runner.test.ts): here, each
 * guide must show each file exactly as it is.
 */
describe("the testing and versioning guides show the examples the suite runs", () => {
  for (const guide of GUIDES) {
    it(`${guide} shows each example file as it is`, () => {
      const shown = shownExamples(guide);
      expect(shown.length).toBeGreaterThanOrEqual(3);
      for (const { path, code } of shown) {
        expect(code, `${guide}: ${path} differs from the file; copy it again`).toBe(
          readFileSync(join(ROOT, path), "utf8"),
        );
      }
    });
  }

  it("every example file is shown by a guide", () => {
    const shown = new Set(GUIDES.flatMap((g) => shownExamples(g).map((e) => e.path)));
    const all = files(join(ROOT, "docs/examples")).map((f) => relative(ROOT, f));
    expect(all.filter((f) => !shown.has(f))).toEqual([]);
  });
});
