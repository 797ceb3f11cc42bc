/**
 * `cairn-runtime/testing`: run workflows and agents in a test, in-process, on a temporary store
 * with a clock the test moves. Works with any test runner (vitest, node:test, jest).
 */
export { createTestEnv, TestEnv } from "./test-env.js";
export type { TestEnvOptions, TestStartOptions, DecideOptions } from "./test-env.js";
export type { TestStoreOption } from "./test-store.js";
export { TestRun } from "./test-run.js";
export type { TestStep } from "./test-steps.js";
export type { ApprovalTarget } from "./approval-target.js";
export { mockModel, toolCall } from "./mock-model.js";
export type { MockModel, MockModelCall, MockReply, ScriptedToolCall } from "./mock-model.js";
export { recordedModel } from "./recorded-model.js";
export type { RecordedModel, RecordedModelOptions } from "./recorded-model.js";
