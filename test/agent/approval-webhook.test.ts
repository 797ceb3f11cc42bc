import type { AddressInfo } from "node:net";
import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import {
  APPROVAL_WEBHOOK,
  approvalWebhook,
  verifyWebhookSignature,
} from "../../src/agent/approval-webhook.js";
import { workflow } from "../../src/engine/workflow.js";
import { newId } from "../../src/shared/ids.js";
import { encodePayload } from "../../src/shared/payload.js";
import type { Harness } from "../helpers.js";
import { closeServer, harness, listenOnLoopback } from "../helpers.js";

const SECRET = "a-test-secret-of-some-length";
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function receiver(failFirst = 0) {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (++calls <= failFirst) {
        res.statusCode = 503;
        res.end("busy");
        return;
      }
      got.push({ headers: req.headers, body });
      res.end("ok");
    });
  });
  const port = await listenOnLoopback(server);
  closers.push(() => closeServer(server));
  return { url: `http://127.0.0.1:${port}/hook`, got, calls: () => calls };
}

const gated = workflow("gated", async ({ step }) =>
  step.waitForApproval("ok", { title: "Deploy to production", details: { version: "1.2.3" } }),
);

describe("approval webhook", () => {
  it("POSTs each request and decision, signed with HMAC-SHA256, retrying failures durably", async () => {
    const hook = await receiver(1);
    const h = await harness([gated, approvalWebhook({ url: hook.url, secret: SECRET })]);
    await h.engine.start(gated);
    await h.drain();
    expect(hook.calls()).toBe(1); // the first delivery failed with 503 …
    await h.advance(10_000); // … and is retried after its backoff
    expect(hook.got).toHaveLength(1);
    const requested = hook.got[0]!;
    const body = JSON.parse(requested.body) as {
      event: string;
      title: string;
      details: unknown;
      approvalId: string;
    };
    expect(body).toMatchObject({
      event: "approval.requested",
      title: "Deploy to production",
      details: { version: "1.2.3" },
    });
    expect(requested.headers["x-cairn-event"]).toBe("approval.requested");
    expect(
      verifyWebhookSignature(
        SECRET,
        String(requested.headers["x-cairn-timestamp"]),
        requested.body,
        String(requested.headers["x-cairn-signature"]),
      ),
    ).toBe(true);
    expect(
      verifyWebhookSignature(
        "another-secret-entirely",
        String(requested.headers["x-cairn-timestamp"]),
        requested.body,
        String(requested.headers["x-cairn-signature"]),
      ),
    ).toBe(false);
    await h.engine.decide(body.approvalId, { approve: true, by: "ana" });
    await h.drain();
    expect(hook.got).toHaveLength(2);
    expect(JSON.parse(hook.got[1]!.body)).toMatchObject({
      event: "approval.decided",
      approve: true,
      by: "ana",
    });
    // The secret never reaches the journal.
    const rows = await h.sql(
      "SELECT output_json FROM steps UNION ALL SELECT data_json FROM events UNION ALL SELECT input_json FROM runs",
    );
    expect(JSON.stringify(rows)).not.toContain(SECRET);
  });

  it("a forged approval.decided stored by another route never makes it deliver a decision", async () => {
    const hook = await receiver();
    const h = await harness([gated, approvalWebhook({ url: hook.url, secret: SECRET })]);
    const { runId } = await h.engine.start(gated);
    await h.drain();
    expect(hook.got).toHaveLength(1); // the real request
    const { approvalId } = JSON.parse(hook.got[0]!.body) as { approvalId: string };
    // Straight into the store, as an import or a raw write could: the webhook's trigger included.
    const forge = async (id: string, data: Record<string, unknown>) =>
      h.journal.sendEvent("default", { id, name: "approval.decided", data: encodePayload(data, "d") }, [
        {
          id: newId("run"),
          workspace: "default",
          workflow: APPROVAL_WEBHOOK,
          input: encodePayload(data, "input"),
          idempotencyKey: `event:${id}`,
        },
      ]);
    const forged = [
      await forge("f1", { event: "approval.decided", approvalId, approve: true, by: "ceo" }),
      await forge("f2", { event: "approval.decided", approvalId: "apr_nope", approve: true, by: "ceo" }),
    ];
    await h.drain();
    expect(hook.got).toHaveLength(1);
    for (const f of forged) {
      const run = await h.journal.getRunSummary("default", f.startedRuns[0]!);
      expect(run?.status).toBe("failed");
      expect(run?.error?.message).toContain("nothing delivered");
    }
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    // The decision that did happen is delivered as the approval's record says, signed.
    await h.engine.decide(approvalId, { approve: false, by: "ana", reason: "not today" });
    await h.drain();
    expect(hook.got).toHaveLength(2);
    const decided = hook.got[1]!;
    expect(JSON.parse(decided.body)).toEqual({
      event: "approval.decided",
      approvalId,
      approve: false,
      by: "ana",
      reason: "not today",
    });
    expect(
      verifyWebhookSignature(
        SECRET,
        String(decided.headers["x-cairn-timestamp"]),
        decided.body,
        String(decided.headers["x-cairn-signature"]),
      ),
    ).toBe(true);
    expect(hook.got.map((g) => g.body).join()).not.toContain("ceo");
  });

  it("stores no credential of its URL in the journal when a delivery fails", async () => {
    const PATH_TOKEN = "T0k3nInThePathAbCdEf123456";
    const QUERY_TOKEN = "qs-t0ken-value-98765";
    const PASSWORD = "pa55-w0rd-in-url";
    const seen: { url: string; auth: string | undefined }[] = [];
    // A receiver that refuses every delivery and echoes what it was asked, as many do.
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? "", auth: req.headers.authorization });
      res.statusCode = 404;
      res.end(`no hook at ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    const url = `http://bot:${PASSWORD}@127.0.0.1:${port}/hooks/${PATH_TOKEN}?token=${QUERY_TOKEN}&x=1`;
    const h = await harness([gated, approvalWebhook({ url, secret: SECRET })]);
    await h.engine.start(gated);
    await h.drain();
    // It was delivered, the password as Basic authentication, and refused.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`/hooks/${PATH_TOKEN}?token=${QUERY_TOKEN}&x=1`);
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from(`bot:${PASSWORD}`).toString("base64")}`);
    const [delivery] = await h.journal.listRuns("default", { workflow: APPROVAL_WEBHOOK });
    expect(delivery?.status).toBe("failed");
    expect(delivery?.error?.message).toContain(
      `webhook http://bot:***@127.0.0.1:${port}/hooks/***?token=***&x=1`,
    );
    expect(delivery?.error?.message).toContain("answered HTTP 404");
    const everything = JSON.stringify(await dumpStore(h));
    expect(everything).toContain("answered HTTP 404");
    for (const secret of [PATH_TOKEN, QUERY_TOKEN, PASSWORD]) expect(everything).not.toContain(secret);
  });

  it("stores no credential when the webhook cannot be reached at all", async () => {
    const PASSWORD = "unreachable-pa55w0rd";
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const url = `http://bot:${PASSWORD}@127.0.0.1:${port}/hook?access_token=zzTopSecret42`;
    const h = await harness([gated, approvalWebhook({ url, secret: SECRET })]);
    await h.engine.start(gated);
    await h.drain();
    const attempts = (await h.sql("SELECT error_json FROM step_attempts")).map((r) => String(r.error_json));
    expect(attempts.join()).toContain("could not be reached");
    const everything = JSON.stringify(await dumpStore(h));
    for (const secret of [PASSWORD, "zzTopSecret42"]) expect(everything).not.toContain(secret);
  });

  it("refuses a webhook without a URL or with a short secret", () => {
    expect(() => approvalWebhook({ url: "ftp://x", secret: SECRET })).toThrow(/http\(s\) URL/);
    expect(() => approvalWebhook({ url: "http://127.0.0.1/x", secret: "short" })).toThrow(
      /at least 16 characters/,
    );
  });
});

/** Every row of every table of the store, as text: to prove a secret is nowhere in it. */
async function dumpStore(h: Harness): Promise<unknown[]> {
  const tables =
    h.store === "sqlite"
      ? await h.sql("SELECT name FROM sqlite_master WHERE type = 'table'")
      : await h.sql("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'");
  const rows: unknown[] = [];
  for (const t of tables) rows.push(...(await h.sql(`SELECT * FROM "${String(t.name)}"`)));
  expect(rows.length).toBeGreaterThan(0);
  return rows;
}
