import { existsSync } from "node:fs";
import type { z as Zod } from "zod";
import { NonRetriableError } from "../../shared/errors.js";
import { requireLazily } from "../../shared/require-lazily.js";
import type { Tool } from "../../agent/tool.js";
import { tool } from "../../agent/tool.js";
import { SANDBOX_SKILLS } from "../exec/bubblewrap-args.js";
import type { LoadedSkill, SkillInfo } from "./skill-catalog.js";
import { loadSkill, readCatalog } from "./skill-catalog.js";
import type { SkillLibrary } from "./skill-library.js";

function makeInput(z: typeof Zod) {
  return z.object({ name: z.string().min(1).max(64).describe("The skill's name, as listed") });
}

let input: ReturnType<typeof makeInput> | undefined;

/** What `load_skill` returns: the skill's instructions and where its files are. */
export interface LoadedSkillResult extends LoadedSkill {
  /** Its folder in the sandbox (read-only), e.g. /skills/pdf-report. */
  location: string;
}

/** The listing added to the agent's instructions at the start of each run. */
export function skillsInstructions(skills: SkillInfo[]): string {
  return [
    "## Skills",
    `Skills are folders of instructions, scripts and references for particular tasks. When a task ` +
      `matches a skill's description, call load_skill with its name to read its instructions first; ` +
      `its files are under ${SANDBOX_SKILLS}/<name>/ (read-only).`,
    ...skills.map((s) => `- ${s.name}: ${s.description}`),
  ].join("\n");
}

/**
 * `load_skill`: lists the skills folder's skills in the agent's instructions as each run starts
 * (pinning that version to the run), and returns a skill's instructions when the agent asks.
 *
 * @example
 * const skills = new SkillLibrary(workspaces, "skills");
 * agent({ …, tools: { load_skill: loadSkillTool(skills) } });
 */
export function loadSkillTool(library: SkillLibrary): Tool<{ name: string }, LoadedSkillResult> {
  input ??= makeInput(requireLazily<{ z: typeof Zod }>("zod").z);
  return tool({
    description:
      "Loads a skill's instructions (and lists its files) by name. The available skills are listed in your instructions.",
    input,
    prepare: async (ctx) => {
      if (!existsSync(library.dir))
        ctx.logger.warn(`skills: the folder ${library.dir} does not exist (no skills)`);
      const { skills, problems } = await library.pin(ctx);
      for (const problem of problems) ctx.logger.warn(`skills: ${problem} (left out)`, { dir: library.dir });
      return skills.length > 0 ? { instructions: skillsInstructions(skills) } : undefined;
    },
    execute: async ({ name }, ctx) => {
      const dir = await library.pinnedDir(ctx);
      if (dir === undefined) throw new NonRetriableError("this run has no skills (it started without any)");
      const loaded = loadSkill(dir, name);
      if (typeof loaded === "string") {
        const known = readCatalog(dir).skills.map((s) => s.name);
        throw new NonRetriableError(
          `no skill "${name}" (${loaded}); the skills are: ${known.length ? known.join(", ") : "none"}`,
        );
      }
      return { ...loaded, location: `${SANDBOX_SKILLS}/${loaded.name}` };
    },
  });
}
