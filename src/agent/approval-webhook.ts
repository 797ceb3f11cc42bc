import { createHmac, timingSafeEqual } from "node:crypto";
import type { Workflow } from "../engine/workflow.js";
import { workflow } from "../engine/workflow.js";
import { ConfigError, NonRetriableError, RetryAfterError } from "../shared/errors.js";
import { redactUrl, redactUrlIn } from "../shared/redact-url.js";
import type { ApprovalRecord } from "../store/records.js";
import { retryAfterMs } from "./retry-after.js";

export interface ApprovalWebhookOptions {
  /** Where to POST `approval.requested` and `approval.decided` (e.g. a chat or e-mail relay). */
  url: string;
  /** Shared secret for the HMAC-SHA256 signature; never stored in the journal. */
  secret: string;
}

export const APPROVAL_WEBHOOK = "cairn.approval-webhook";

/**
 * A built-in workflow that delivers approval events to a webhook, durably and with retries.
 * Each POST carries `X-Cairn-Signature: sha256=<hex>`, the HMAC-SHA256 of
 * `<X-Cairn-Timestamp>.<body>` with the secret, and an `Idempotency-Key` per delivery.
 */
export function approvalWebhook(options: ApprovalWebhookOptions): Workflow {
  if (typeof options?.url !== "string" || !/^https?:\/\//.test(options.url)) {
    throw new ConfigError(
      `approvals.webhook.url must be an http(s) URL, not ${typeof options?.url === "string" ? JSON.stringify(redactUrl(options.url)) : String(options?.url)}`,
    );
  }
  if (typeof options.secret !== "string" || options.secret.length < 16) {
    throw new ConfigError(
      "approvals.webhook.secret must be a string of at least 16 characters (read it from the environment)",
    );
  }
  return workflow(
    APPROVAL_WEBHOOK,
    async ({ input, step, journal, workspace }) => {
      const { event, approvalId } = (input ?? {}) as { event?: unknown; approvalId?: unknown };
      return step.run(
        "deliver",
        async ({ idempotencyKey, signal }) => {
          // The event only names the approval; what is signed is read from the approval's own
          // record, so an event sent by anyone else can never make a decision up.
          const approval =
            typeof approvalId === "string" ? await journal.getApproval(workspace, approvalId) : undefined;
          const body = webhookBody(event, approval);
          if (typeof body === "string") throw new NonRetriableError(`nothing delivered: ${body}`);
          const payload = JSON.stringify(body);
          const timestamp = String(Math.floor(Date.now() / 1000));
          const signature = createHmac("sha256", options.secret)
            .update(`${timestamp}.${payload}`)
            .digest("hex");
          const res = await deliver(options.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-cairn-event": body.event,
              "x-cairn-timestamp": timestamp,
              "x-cairn-signature": `sha256=${signature}`,
              "idempotency-key": idempotencyKey,
            },
            body: payload,
            signal,
          });
          if (res.ok) return { status: res.status };
          const text = (await res.text()).slice(0, 300);
          // Every message is stored with the step's attempts: no token of the URL goes in it.
          const message = redactUrlIn(
            `webhook ${redactUrl(options.url)} answered HTTP ${res.status}: ${text}`,
            options.url,
          );
          if (res.status === 429) {
            const after = retryAfterMs(Object.fromEntries(res.headers.entries()));
            throw after === undefined ? new Error(message) : new RetryAfterError(message, after);
          }
          if (res.status >= 400 && res.status < 500 && res.status !== 408)
            throw new NonRetriableError(message);
          throw new Error(message);
        },
        { retries: 8, backoff: { initial: "5s", max: "10m" }, timeout: "15s" },
      );
    },
    { triggers: [{ event: "approval.requested" }, { event: "approval.decided" }] },
  );
}

/**
 * `fetch`, with a failure's message (which may quote the URL) stored without its credentials.
 * `user:password@` in the URL is sent as HTTP Basic authentication, which fetch will not do.
 */
async function deliver(url: string, init: RequestInit): Promise<Response> {
  try {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    if (target.username !== "" || target.password !== "") {
      const user = `${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`;
      headers.set("authorization", `Basic ${Buffer.from(user).toString("base64")}`);
      target.username = "";
      target.password = "";
    }
    return await fetch(target, { ...init, headers });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    const cause = (err as Error & { cause?: { message?: string; code?: string } }).cause;
    const detail = [(err as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(": ");
    throw new Error(redactUrlIn(`webhook ${redactUrl(url)} could not be reached: ${detail}`, url));
  }
}

type WebhookBody =
  | {
      event: "approval.requested";
      approvalId: string;
      runId: string;
      stepId: string;
      title: string;
      details: unknown;
      approvers: string[] | null;
      dueAt: number | null;
    }
  | { event: "approval.decided"; approvalId: string; approve: boolean; by: string; reason: string | null };

/** What to POST for `event`, built from the approval's record; a string says why nothing is. */
function webhookBody(event: unknown, a: ApprovalRecord | undefined): WebhookBody | string {
  if (a === undefined) return `${String(event)} names no approval this workspace has (not sent by Cairn)`;
  if (event === "approval.requested") {
    const { id: approvalId, runId, stepId, title, request: details, approvers, dueAt } = a;
    return { event, approvalId, runId, stepId, title, details, approvers, dueAt };
  }
  if (event === "approval.decided") {
    if ((a.status !== "approved" && a.status !== "rejected") || a.decidedBy === null)
      return `approval ${a.id} is ${a.status}, not decided: this approval.decided was not sent by Cairn`;
    return { event, approvalId: a.id, approve: a.status === "approved", by: a.decidedBy, reason: a.reason };
  }
  return `${JSON.stringify(event)} is not an approval event`;
}

/** Checks a webhook delivery's signature (for receivers, and tests). */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  header: string,
): boolean {
  const expected = Buffer.from(
    `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`,
  );
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
