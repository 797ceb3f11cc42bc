import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { parse as ParseYaml } from "yaml";
import type { z as Zod } from "zod";
import { requireLazily } from "../shared/require-lazily.js";
import { ConfigError } from "../shared/errors.js";
import type { Agent } from "./agent.js";
import { agent } from "./agent.js";
import type { Tool } from "./tool.js";
import type { ToolSource } from "./tool-source.js";

/** What a profile's `mcp` names: a server declared in the config (see mcpServer). */
export interface McpServerLike {
  tools(policy: { allow: string[]; approval?: string[] }): ToolSource;
}

/** Built on first use: YAML and zod load only for a project that declares agents as data. */
function makeProfileSchema(z: typeof Zod) {
  return z
    .object({
      name: z.string(),
      instructions: z.string().optional(),
      system_prompt: z.string().optional(),
      model: z.string(),
      tools: z.array(z.string()).default([]),
      maxTurns: z.number().int().positive().optional(),
      checkpoint: z.enum(["calls", "turn"]).optional(),
      memory: z.boolean().optional(),
      session: z
        .object({
          onBusy: z.enum(["queue", "interrupt", "steer", "reject"]).optional(),
          history: z.object({ maxMessages: z.number().int().positive().optional() }).strict().optional(),
        })
        .strict()
        .optional(),
      budget: z
        .object({ tokens: z.number().positive().optional(), costUsd: z.number().positive().optional() })
        .optional(),
      mcp: z
        .record(
          z.string(),
          z.object({ allow: z.array(z.string()), approval: z.array(z.string()).optional() }).strict(),
        )
        .optional(),
      policy: z
        .object({
          allow: z.array(z.string()).optional(),
          deny: z.array(z.string()).optional(),
          approve: z.array(z.string()).optional(),
        })
        .strict()
        .optional(),
      /** Settings of the built-in workspace tools (exec, files, skills); checked by their provider. */
      workspace: z.record(z.string(), z.unknown()).optional(),
    })
    .strict()
    .refine((p) => p.instructions !== undefined || p.system_prompt !== undefined, {
      message: "instructions (or system_prompt) is required",
    });
}

let profileSchema: ReturnType<typeof makeProfileSchema> | undefined;

export type AgentProfile = Zod.infer<ReturnType<typeof makeProfileSchema>>;

/**
 * Tools a profile may name without registering them: the built-in workspace tools, made by a
 * layer above this one (src/tools) from the profile's `workspace` settings.
 */
export interface BuiltinTools {
  /** The tool names (and group names) it makes. */
  readonly names: readonly string[];
  /** Makes the tools a profile named (some of `names`); errors name `where`. */
  create(names: string[], settings: Record<string, unknown>, where: string): Record<string, Tool>;
}

/**
 * Loads an agent declared as data (JSON or YAML): name, instructions, model, and the names of
 * the tools it may use, looked up in `tools`. The tool name "memory" turns on the memory tool;
 * the names `builtins` knows (exec, files, skills, …) make built-in tools from the profile's
 * `workspace` settings.
 *
 * @example
 * # agents/writer.yaml
 * name: writer
 * instructions: You write short, friendly posts.
 * model: openai:gpt-4.1-mini
 * tools: [search, memory]
 * policy: { approve: [search] }   # optional: allow, deny, approve lists of tool names
 * mcp: { files: { allow: [read_file], approval: [] } }   # tools of the config's MCP servers
 */
export function loadAgentProfile(
  path: string,
  tools: Record<string, Tool> = {},
  builtins?: BuiltinTools,
  mcpServers: Record<string, McpServerLike> = {},
): Agent {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new ConfigError(`agent profile ${path}: cannot read it (${(cause as Error).message})`, { cause });
  }
  let data: unknown;
  try {
    data = [".yaml", ".yml"].includes(extname(path))
      ? requireLazily<{ parse: typeof ParseYaml }>("yaml").parse(text)
      : JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(
      `agent profile ${path}: not valid ${extname(path) === ".json" ? "JSON" : "YAML"} (${(cause as Error).message})`,
      { cause },
    );
  }
  profileSchema ??= makeProfileSchema(requireLazily<{ z: typeof Zod }>("zod").z);
  const parsed = profileSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join(".") || "profile"}: ${i.message}`)
      .join("; ");
    throw new ConfigError(`agent profile ${path}: ${issues}`);
  }
  const p = parsed.data;
  const chosen: Record<string, Tool> = {};
  const builtin: string[] = [];
  for (const name of p.tools) {
    if (name === "memory") continue;
    const t = tools[name];
    if (t !== undefined) {
      chosen[name] = t;
    } else if (builtins?.names.includes(name)) {
      builtin.push(name);
    } else {
      const known = [...Object.keys(tools), ...(builtins?.names ?? [])];
      throw new ConfigError(
        `agent profile ${path}: unknown tool "${name}" (known: ${known.length ? known.join(", ") : "none"}, and memory); register tools in the config's \`tools\``,
      );
    }
  }
  if (p.workspace !== undefined && builtin.length === 0) {
    throw new ConfigError(
      `agent profile ${path}: workspace settings need a workspace tool in \`tools\` (${builtins?.names.join(", ") ?? "exec, files, skills"})`,
    );
  }
  if (builtin.length > 0)
    Object.assign(chosen, builtins!.create(builtin, p.workspace ?? {}, `agent profile ${path}`));
  const mcp: ToolSource[] = [];
  for (const [server, policy] of Object.entries(p.mcp ?? {})) {
    const found = mcpServers[server];
    if (found === undefined) {
      const known = Object.keys(mcpServers);
      throw new ConfigError(
        `agent profile ${path}: unknown MCP server "${server}" (known: ${known.length ? known.join(", ") : "none"}); declare it in the config's \`mcp\``,
      );
    }
    mcp.push(found.tools(withoutUndefined(policy)));
  }
  return agent({
    name: p.name,
    instructions: p.instructions ?? p.system_prompt ?? "",
    model: p.model,
    tools: chosen,
    memory: p.memory === true || p.tools.includes("memory"),
    ...(p.maxTurns !== undefined ? { maxTurns: p.maxTurns } : {}),
    ...(p.checkpoint !== undefined ? { checkpoint: p.checkpoint } : {}),
    ...(p.session !== undefined ? { session: p.session } : {}),
    ...(p.budget !== undefined ? { budget: p.budget } : {}),
    ...(p.policy !== undefined ? { toolPolicy: withoutUndefined(p.policy) } : {}),
    ...(mcp.length > 0 ? { mcp } : {}),
  });
}

function withoutUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}
