// Run by node's own test runner (`node --import tsx --test`), not by vitest: the testing kit
// needs nothing from vitest. test/testing/node-runner.test.ts runs this file.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { workflow } from "cairn-runtime";
import { createTestEnv } from "cairn-runtime/testing";

const trial = workflow("trial", async ({ input, step }) => {
  await step.sleep("trial-period", "1d");
  return step.run("convert", () => ({ plan: "pro", user: (input as { user: string }).user }));
});

const publish = workflow("publish", async ({ step }) => {
  const decision = await step.waitForApproval("review", { title: "publish the post?" });
  return decision.status;
});

const env = await createTestEnv({ workflows: [trial, publish], store: "file" });
after(() => env.close());

void test("a one-day trial converts after a day of the test's clock", async () => {
  const run = await env.start(trial, { user: "ada" });
  assert.equal(await run.status(), "waiting");
  await env.advance("1d");
  assert.deepEqual(await run.result(), { plan: "pro", user: "ada" });
});

void test("a post is published once approved", async () => {
  const run = await env.start(publish);
  await env.approve({ runId: run.id, step: "review" });
  assert.equal(await run.result(), "approved");
});
