import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { scriptedModel } from "../../src/agent/scripted-model.js";
import { chatAgent, posted, shipIt, waitsForEvent } from "./fixtures.js";
import { eventually, serverHarness } from "./support.js";

describe("approvals over HTTP", () => {
  it("lists, gets and decides as the key's principal, matched against the approvers", async () => {
    const s = await serverHarness([shipIt]);
    const alice = await s.key(["read", "run", "approve"], "default", "alice");
    const bob = await s.key(["read", "approve"], "default", "bob");
    const runId = (await s.call("POST", "/v1/runs", { key: alice, body: { workflow: "ship-it" } })).body.run
      .id;
    await s.drain();
    const list = await s.call("GET", "/v1/approvals", { key: bob });
    expect(list.body.approvals).toHaveLength(1);
    const approval = list.body.approvals[0];
    expect(approval).toMatchObject({ runId, status: "pending", title: "ship it?", approvers: ["alice"] });
    expect(
      (await s.call("GET", `/v1/approvals?runId=${runId}&status=all`, { key: bob })).body.approvals,
    ).toHaveLength(1);
    // bob is not among the approvers: whatever his key says, he is bob.
    const refused = await s.call("POST", `/v1/approvals/${approval.id}/decision`, {
      key: bob,
      body: { approve: true, by: "alice" },
    });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "CAIRN_FORBIDDEN" } } });
    const noReason = await s.call("POST", `/v1/approvals/${approval.id}/decision`, {
      key: alice,
      body: { approve: false },
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain("body.reason");
    const decided = await s.call("POST", `/v1/approvals/${approval.id}/decision`, {
      key: alice,
      body: { approve: true },
    });
    expect(decided).toMatchObject({ status: 200, body: { status: "approved", decidedBy: "alice" } });
    const again = await s.call("POST", `/v1/approvals/${approval.id}/decision`, {
      key: alice,
      body: { approve: true },
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "CAIRN_CONFLICT" } } });
    await s.drain();
    expect((await s.call("GET", `/v1/runs/${runId}/result`, { key: alice })).body.output).toEqual({
      status: "approved",
      by: "alice",
    });
    expect((await s.call("GET", "/v1/approvals/apr_nope", { key: alice })).status).toBe(404);
  });

  it("lists approval requests oldest first, as its description says", async () => {
    const s = await serverHarness([shipIt]);
    const key = await s.key(["read", "run"]);
    const runs: string[] = [];
    for (let i = 0; i < 3; i++) {
      runs.push((await s.call("POST", "/v1/runs", { key, body: { workflow: "ship-it" } })).body.run.id);
      await s.drain();
      s.clock.advance(1_000);
    }
    const listed = (await s.call("GET", "/v1/approvals", { key })).body.approvals as { runId: string }[];
    expect(listed.map((a) => a.runId)).toEqual(runs);
    const first = (await s.call("GET", "/v1/approvals?limit=1", { key })).body.approvals as {
      runId: string;
    }[];
    expect(first.map((a) => a.runId)).toEqual([runs[0]]);
    const doc = (await s.call("GET", "/v1/openapi.json", { key })).body;
    expect(doc.paths["/v1/approvals"].get.summary).toContain("oldest first");
  });

  it("approves a tool call with edited arguments, checked against the tool's schema", async () => {
    posted.length = 0;
    const helper = chatAgent();
    const s = await serverHarness([], { agents: [helper] });
    const k = await s.key(["admin"], "default", "carol");
    const sent = await s.call("POST", "/v1/sessions/helper/edit/messages", {
      key: k,
      body: { message: "post first draft" },
    });
    await s.drain();
    const [approval] = (await s.call("GET", `/v1/approvals?runId=${sent.body.runId}`, { key: k })).body
      .approvals;
    expect(approval.request).toMatchObject({ tool: "post", args: { text: "first draft" } });
    const bad = await s.call("POST", `/v1/approvals/${approval.id}/decision`, {
      key: k,
      body: { approve: true, args: { text: 3 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("text");
    const ok = await s.call("POST", `/v1/approvals/${approval.id}/decision`, {
      key: k,
      body: { approve: true, args: { text: "final" } },
    });
    expect(ok.body).toMatchObject({ status: "approved", decidedBy: "carol", editedArgs: { text: "final" } });
    await s.drain();
    expect(posted).toEqual(["final"]);
  });
});

describe("sessions and events over HTTP", () => {
  it("applies the session policy: queue answers later, reject answers 409", async () => {
    const slow = (onBusy: "queue" | "reject") =>
      agent({
        name: `slow-${onBusy}`,
        instructions: "",
        model: scriptedModel({ name: "s", respond: () => ({ text: "done" }) }),
        session: { onBusy },
      });
    const s = await serverHarness([], { agents: [slow("queue"), slow("reject")] });
    const k = await s.key(["read", "run"], "default", "dave");
    const a = await s.call("POST", "/v1/sessions/slow-queue/s/messages", {
      key: k,
      body: { message: "one" },
    });
    expect(a).toMatchObject({ status: 202, body: { outcome: "started" } });
    expect(a.headers.get("location")).toBe(`/v1/runs/${a.body.runId}`);
    const b = await s.call("POST", "/v1/sessions/slow-queue/s/messages", {
      key: k,
      body: { message: "two" },
    });
    expect(b.body.outcome).toBe("queued");
    await s.call("POST", "/v1/sessions/slow-reject/s/messages", { key: k, body: { message: "one" } });
    const refused = await s.call("POST", "/v1/sessions/slow-reject/s/messages", {
      key: k,
      body: { message: "two" },
    });
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "CAIRN_CONFLICT" } } });
    const empty = await s.call("POST", "/v1/sessions/slow-queue/s/messages", {
      key: k,
      body: { message: "" },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain("body.message");
    await s.drain();
    await s.drain();
    const history = await s.call("GET", "/v1/sessions/slow-queue/s", { key: k });
    expect(
      history.body.messages.map((m: { message: { role: string; content: unknown } }) => m.message.role),
    ).toEqual(["user", "assistant", "user", "assistant"]);
    const run = await s.call("GET", `/v1/runs/${a.body.runId}`, { key: k });
    expect(run.body.run.input).toMatchObject({ message: "one", session: "s", user: "dave" });
    expect((await s.call("GET", "/v1/sessions/nobody/s", { key: k })).status).toBe(404);
  });

  it("sends events: a waiting run resumes, an event id is stored once", async () => {
    const s = await serverHarness([waitsForEvent]);
    const k = await s.key(["read", "run"]);
    const runId = (await s.call("POST", "/v1/runs", { key: k, body: { workflow: "waits-for-event" } })).body
      .run.id;
    await s.drain();
    const sent = await s.call("POST", "/v1/events", {
      key: k,
      body: { name: "go.now", data: { n: 1 }, id: "evt-1" },
    });
    expect(sent).toMatchObject({
      status: 202,
      body: { eventId: "evt-1", created: true, resumedRuns: [runId] },
    });
    const dup = await s.call("POST", "/v1/events", {
      key: k,
      body: { name: "go.now", data: { n: 2 }, id: "evt-1" },
    });
    expect(dup.body).toMatchObject({ created: false, resumedRuns: [] });
    await s.drain();
    await eventually(
      "the run to end",
      async () => (await s.call("GET", `/v1/runs/${runId}/result`, { key: k })).status === 200,
    );
    expect((await s.call("GET", `/v1/runs/${runId}/result`, { key: k })).body.output).toEqual({ n: 1 });
    const bad = await s.call("POST", "/v1/events", { key: k, body: { data: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("body.name");
  });
});
