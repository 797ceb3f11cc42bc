import type { AgentOptions } from "cairn-runtime";
import { agent, tool } from "cairn-runtime";
import { z } from "zod";

export const post = tool({
  description: "Posts a short update to the team channel",
  input: z.object({ text: z.string().max(280) }),
  execute: ({ text }) => ({ posted: true, length: text.length }),
});

/** The agent under test, on whichever model the test gives it. */
export function poster(model: AgentOptions["model"]) {
  return agent({
    name: "poster",
    instructions: "You write and post short team updates.",
    model,
    tools: { post },
  });
}
