import { workflow } from "cairn-runtime";

const charge = (id: string) => ({ charged: id });
const ship = (id: string, checked: boolean) => ({ shipped: id, checked });

/** As first shipped: charge, a day to cancel, ship. */
export const orderV1 = workflow("order", async ({ input, step }) => {
  const { id } = input as { id: string };
  await step.run("charge", () => charge(id));
  await step.sleep("cool-off", "1d");
  return step.run("ship", () => ship(id, false));
});

/**
 * The change: a fraud check after the charge. Orders already past the charge when it ships keep
 * the old path; every order that reaches this point afterwards gets the check.
 */
export const order = workflow("order", async ({ input, step }) => {
  const { id } = input as { id: string };
  await step.run("charge", () => charge(id));
  let checked = false;
  if (await step.patched("fraud-check")) {
    checked = await step.run("fraud-check", () => true);
  }
  await step.sleep("cool-off", "1d");
  return step.run("ship", () => ship(id, checked));
});
