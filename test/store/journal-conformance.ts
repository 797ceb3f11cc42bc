import { describe } from "vitest";
import { controlTests } from "./conformance/control.js";
import type { MakeJournal } from "./conformance/context.js";
import { useJournal } from "./conformance/context.js";
import { fencingTests } from "./conformance/fencing.js";
import { runTests } from "./conformance/runs.js";
import { secretTests } from "./conformance/secrets.js";
import { serviceTests } from "./conformance/service.js";
import { stepTests } from "./conformance/steps.js";
import { waitTests } from "./conformance/waits.js";
import { workspaceStoreTests } from "./conformance/workspace.js";

export type { MakeJournal } from "./conformance/context.js";

/**
 * The tests every Journal implementation must pass, through the Journal interface only: each
 * test gets a fresh, empty journal from `makeJournal` on a ManualClock it may advance.
 */
export function journalConformance(name: string, makeJournal: MakeJournal): void {
  describe(`journal conformance: ${name}`, () => {
    const get = useJournal(makeJournal);
    runTests(get);
    fencingTests(get);
    stepTests(get);
    waitTests(get);
    controlTests(get);
    serviceTests(get);
    secretTests(get);
    workspaceStoreTests(get);
  });
}
