import { describe } from "vitest";
import { controlTests } from "./conformance/control.js";
import { deployTests } from "./conformance/deploys.js";
import type { MakeJournal } from "./conformance/context.js";
import { useJournal } from "./conformance/context.js";
import { fencingTests } from "./conformance/fencing.js";
import { handBackTests } from "./conformance/hand-backs.js";
import { leaseLengthTests } from "./conformance/lease-lengths.js";
import { leaseLossTests } from "./conformance/lease-loss.js";
import { lifecycleTests } from "./conformance/lifecycle.js";
import { runTests } from "./conformance/runs.js";
import { secretTests } from "./conformance/secrets.js";
import { serviceTests } from "./conformance/service.js";
import { sessionTests } from "./conformance/sessions.js";
import { stepTests } from "./conformance/steps.js";
import { transferTests } from "./conformance/transfer.js";
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
    handBackTests(get);
    leaseLengthTests(get);
    leaseLossTests(get);
    lifecycleTests(get);
    sessionTests(get);
    deployTests(get);
    transferTests(get);
  });
}
