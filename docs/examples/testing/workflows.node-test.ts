// The same kit under node's own test runner: node --import tsx --test workflows.node-test.ts
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createTestEnv } from "cairn-runtime/testing";
import { refund, reminder } from "./workflows.js";

const env = await createTestEnv({ workflows: [reminder, refund], store: "file" });
after(() => env.close());

void test("reminds a day later", async () => {
  const run = await env.start(reminder, { email: "ada@example.com" });
  await env.advance("1d");
  assert.deepEqual(await run.result(), { sent: "ada@example.com" });
});

void test("pays a large refund once approved", async () => {
  const run = await env.start(refund, { amount: 250 });
  await env.approve({ runId: run.id, step: "approve-refund" });
  assert.deepEqual(await run.result(), { refunded: true, amount: 250 });
});
