import { NonRetriableError, workflow } from "cairn-runtime";

/** Reminds a user a day after they signed up. */
export const reminder = workflow("reminder", async ({ input, step }) => {
  const { email } = input as { email: string };
  await step.sleep("wait-a-day", "1d");
  return step.run("send-reminder", () => ({ sent: email }));
});

/** A refund over 100 EUR waits for a person; nobody deciding within 3 days refuses it. */
export const refund = workflow("refund", async ({ input, step }) => {
  const { amount } = input as { amount: number };
  if (amount > 100) {
    const decision = await step.waitForApproval("approve-refund", {
      title: `refund ${amount} EUR?`,
      details: { amount },
      timeout: "3d",
    });
    if (decision.status !== "approved") return { refunded: false, why: decision.status };
  }
  return step.run("pay-out", () => ({ refunded: true, amount }));
});

/** Charges a card once: the payment API dedupes by the step's idempotency key. */
export const checkout = workflow("checkout", async ({ input, step }) => {
  const { cart } = input as { cart: string };
  const total = await step.run("price", () => (cart === "empty" ? 0 : 42));
  if (total === 0) throw new NonRetriableError("the cart is empty");
  const charge = await step.run("charge", ({ idempotencyKey }) => ({ charged: total, key: idempotencyKey }), {
    retries: 3,
    backoff: { initial: "10s" },
  });
  await step.run("email-receipt", () => true);
  return charge;
});
