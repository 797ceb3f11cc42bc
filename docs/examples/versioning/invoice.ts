import { workflow } from "cairn-runtime";

/** Version 1: one reminder a week after sending. */
export const invoiceV1 = workflow(
  "invoice",
  async ({ step }) => {
    await step.run("send", () => "sent");
    await step.sleep("wait", "7d");
    return step.run("remind", () => "reminded once");
  },
  { version: "1" },
);

/** Version 2: a different sequence altogether. Runs started on 1 finish on 1. */
export const invoiceV2 = workflow(
  "invoice",
  async ({ step }) => {
    await step.run("render-pdf", () => "invoice.pdf");
    await step.run("send", () => "sent with pdf");
    await step.sleep("wait", "3d");
    return step.run("remind", () => "reminded early");
  },
  { version: "2" },
);

// cairn.config.ts, while version 1 still has runs in flight (the one listed last starts new runs):
//   export default defineConfig({ workflows: [invoiceV1, invoiceV2] });
