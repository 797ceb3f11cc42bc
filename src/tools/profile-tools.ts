import { resolve } from "node:path";
import type { z as Zod } from "zod";
import type { BuiltinTools } from "../agent/profile.js";
import type { Tool } from "../agent/tool.js";
import { ConfigError } from "../shared/errors.js";
import { requireLazily } from "../shared/require-lazily.js";
import { DEFAULT_LIMITS } from "./exec/sandbox-limits.js";
import { FILE_TOOL_NAMES } from "./files/file-tools.js";
import { workspaceTools } from "./workspace-tools.js";

/** Names a profile may give: each tool, "files" for the five file tools, "skills" for load_skill. */
const NAMES = ["exec", "files", ...FILE_TOOL_NAMES, "skills", "load_skill"] as const;

function makeSettings(z: typeof Zod) {
  const positive = z.number().positive();
  const limits = z
    .object(Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, positive.optional()])))
    .strict();
  return z
    .object({
      /** Where run workspaces live, relative to the config's folder. */
      root: z.string().optional(),
      limits: z.object({ maxFiles: positive.optional(), maxBytes: positive.optional() }).strict().optional(),
      exec: z
        .object({
          network: z
            .union([z.enum(["none", "host"]), z.object({ allow: z.array(z.string()) }).strict()], {
              error: "must be none, host or { allow: [host, ...] }",
            })
            .optional(),
          limits: limits.optional(),
          readOnlyPaths: z.array(z.string()).optional(),
          env: z.record(z.string(), z.string()).optional(),
        })
        .strict()
        .optional(),
      /** The skills folder, relative to the config's folder. */
      skills: z.string().optional(),
    })
    .strict();
}

let settingsSchema: ReturnType<typeof makeSettings> | undefined;

/**
 * The built-in workspace tools for agent profiles: a profile names `exec`, `files` (or single
 * file tools) and `skills`, and sets their limits under `workspace:`. Paths are relative to `base`
 * (the config's folder).
 *
 * @example
 * # agents/coder.yaml
 * tools: [exec, files, skills]
 * workspace:
 *   skills: skills
 *   exec: { limits: { wallSeconds: 30, memoryMb: 1024 } }
 */
export function workspaceBuiltins(base: string): BuiltinTools {
  return {
    names: NAMES,
    create(names, settings, where): Record<string, Tool> {
      settingsSchema ??= makeSettings(requireLazily<{ z: typeof Zod }>("zod").z);
      const parsed = settingsSchema.safeParse(settings);
      if (!parsed.success) {
        const issues = parsed.error.issues
          .map((i) => `workspace.${i.path.join(".")}: ${i.message}`)
          .join("; ");
        throw new ConfigError(`${where}: ${issues}`);
      }
      const s = parsed.data;
      const wantsSkills = names.includes("skills") || names.includes("load_skill");
      if (wantsSkills && s.skills === undefined)
        throw new ConfigError(
          `${where}: the skills tool needs workspace.skills, the skills folder (e.g. skills)`,
        );
      const all = workspaceTools({
        root: resolve(base, s.root ?? ".cairn/workspaces"),
        ...(s.limits ? { limits: s.limits } : {}),
        ...(wantsSkills ? { skills: resolve(base, s.skills!) } : {}),
        exec: names.includes("exec")
          ? { ...(s.exec ?? {}), ...(s.exec?.limits ? { limits: s.exec.limits } : {}) }
          : false,
      });
      const chosen: Record<string, Tool> = {};
      for (const name of names) {
        const group =
          name === "files"
            ? FILE_TOOL_NAMES
            : name === "skills"
              ? (["load_skill"] as const)
              : ([name] as const);
        for (const n of group) {
          const t = all[n as keyof typeof all];
          if (t !== undefined) chosen[n] = t;
        }
      }
      return chosen;
    },
  };
}
