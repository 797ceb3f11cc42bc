import type { z as Zod } from "zod";
import { requireLazily } from "../shared/require-lazily.js";
import type { Tool } from "./tool.js";
import { tool } from "./tool.js";

function makeInput(z: typeof Zod) {
  return z.discriminatedUnion("action", [
    z.object({
      action: z.literal("save"),
      key: z.string().min(1).max(200),
      text: z.string().min(1).max(4000),
    }),
    z.object({ action: z.literal("recall"), query: z.string().max(200).default("") }),
    z.object({ action: z.literal("forget"), key: z.string().min(1).max(200) }),
  ]);
}

/** Built on first use, so importing Cairn does not load zod. */
let input: ReturnType<typeof makeInput> | undefined;

/**
 * A tool that saves and recalls notes for the agent, per user, across runs and sessions.
 * `agent({ memory: true })` adds it as `memory`.
 */
export function memoryTool(): Tool<Zod.infer<ReturnType<typeof makeInput>>, unknown> {
  input ??= makeInput(requireLazily<{ z: typeof Zod }>("zod").z);
  return tool({
    description:
      "Long-term memory about the user, kept across conversations. action=save stores a note under a short key " +
      "(saving an existing key replaces it); action=recall finds notes whose key or text contains the query " +
      "(empty query: the most recent notes); action=forget deletes a note.",
    input,
    execute: async (args, ctx) => {
      const scope = { agent: ctx.agent.name, user: ctx.agent.user };
      switch (args.action) {
        case "save":
          await ctx.journal.saveMemory(ctx.workspace, scope, args.key, args.text);
          return { saved: args.key };
        case "recall":
          return { notes: await ctx.journal.recallMemory(ctx.workspace, scope, args.query, 20) };
        case "forget":
          return { forgotten: await ctx.journal.forgetMemory(ctx.workspace, scope, args.key) };
      }
    },
  });
}
