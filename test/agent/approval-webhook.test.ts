import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { approvalWebhook, verifyWebhookSignature } from "../../src/agent/approval-webhook.js";
import { workflow } from "../../src/engine/workflow.js";
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

  it("refuses a webhook without a URL or with a short secret", () => {
    expect(() => approvalWebhook({ url: "ftp://x", secret: SECRET })).toThrow(/http\(s\) URL/);
    expect(() => approvalWebhook({ url: "http://127.0.0.1/x", secret: "short" })).toThrow(
      /at least 16 characters/,
    );
  });
});
