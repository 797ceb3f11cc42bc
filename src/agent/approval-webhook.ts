import { createHmac, timingSafeEqual } from "node:crypto";
import type { Workflow } from "../engine/workflow.js";
import { workflow } from "../engine/workflow.js";
import { ConfigError, NonRetriableError, RetryAfterError } from "../shared/errors.js";
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
      `approvals.webhook.url must be an http(s) URL, not ${JSON.stringify(options?.url)}`,
    );
  }
  if (typeof options.secret !== "string" || options.secret.length < 16) {
    throw new ConfigError(
      "approvals.webhook.secret must be a string of at least 16 characters (read it from the environment)",
    );
  }
  return workflow(
    APPROVAL_WEBHOOK,
    async ({ input, step }) => {
      const event = input as { event?: string };
      return step.run(
        "deliver",
        async ({ idempotencyKey, signal }) => {
          const body = JSON.stringify(input);
          const timestamp = String(Math.floor(Date.now() / 1000));
          const signature = createHmac("sha256", options.secret).update(`${timestamp}.${body}`).digest("hex");
          const res = await fetch(options.url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-cairn-event": event.event ?? "approval",
              "x-cairn-timestamp": timestamp,
              "x-cairn-signature": `sha256=${signature}`,
              "idempotency-key": idempotencyKey,
            },
            body,
            signal,
          });
          if (res.ok) return { status: res.status };
          const text = (await res.text()).slice(0, 300);
          const message = `webhook ${options.url.replace(/\?.*$/, "")} answered HTTP ${res.status}: ${text}`;
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
