// `npm run docs:cli`: writes the command reference of docs/cli.md from the CLI's command table
// (src/cli/command-table.ts). test/cli/docs-reference.test.ts fails when the doc is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import * as prettier from "prettier";
import { renderReference, withReference } from "../src/cli/command-reference.js";

export const DOC = resolve(import.meta.dirname, "../docs/cli.md");

/** docs/cli.md as it should be: its own text, the generated reference, formatted as `npm run lint` wants. */
export async function expectedDoc(): Promise<string> {
  const doc = readFileSync(DOC, "utf8");
  const options = (await prettier.resolveConfig(DOC)) ?? {};
  return prettier.format(withReference(doc, renderReference()), { ...options, filepath: DOC });
}

if (process.argv[1] === import.meta.filename) {
  const next = await expectedDoc();
  const changed = next !== readFileSync(DOC, "utf8");
  writeFileSync(DOC, next);
  process.stdout.write(
    changed ? "docs/cli.md: command reference updated\n" : "docs/cli.md: already up to date\n",
  );
}
