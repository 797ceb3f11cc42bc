import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { parse as ParseYaml } from "yaml";
import { requireLazily } from "../../shared/require-lazily.js";

/** A skill as an agent sees it before loading it: its name and when to use it. */
export interface SkillInfo {
  name: string;
  description: string;
}

/** A loaded skill: its instructions (SKILL.md after the frontmatter) and the files beside them. */
export interface LoadedSkill extends SkillInfo {
  instructions: string;
  /** Paths of its other files, relative to its folder (scripts/…, references/…, assets/…). */
  files: string[];
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * Reads a skills folder in the Agent Skills format: `<name>/SKILL.md`, YAML frontmatter with
 * `name` (lowercase letters, digits and hyphens; the folder's name) and `description`, then the
 * instructions. Folders that break the format are reported in `problems`, not listed.
 */
export function readCatalog(dir: string): { skills: SkillInfo[]; problems: string[] } {
  const skills: SkillInfo[] = [];
  const problems: string[] = [];
  if (!existsSync(dir)) return { skills, problems };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const parsed = parseSkill(dir, entry.name);
    if (typeof parsed === "string") problems.push(`skill ${entry.name}: ${parsed}`);
    else skills.push({ name: parsed.name, description: parsed.description });
  }
  skills.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { skills, problems };
}

/** One skill of the folder, with its instructions and file list; a string says what is wrong. */
export function loadSkill(dir: string, name: string): LoadedSkill | string {
  if (!NAME.test(name)) return "a skill's name is lowercase letters, digits and hyphens";
  const parsed = parseSkill(dir, name);
  if (typeof parsed === "string") return parsed;
  return { ...parsed, files: listFiles(join(dir, name), "").filter((f) => f !== "SKILL.md") };
}

function parseSkill(dir: string, folder: string): (SkillInfo & { instructions: string }) | string {
  const file = join(dir, folder, "SKILL.md");
  if (!existsSync(file)) return "no SKILL.md";
  const text = readFileSync(file, "utf8");
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!m) return "SKILL.md must start with YAML frontmatter between --- lines (name, description)";
  let front: unknown;
  try {
    front = requireLazily<{ parse: typeof ParseYaml }>("yaml").parse(m[1]!);
  } catch (err) {
    return `its frontmatter is not valid YAML (${(err as Error).message})`;
  }
  const f = (typeof front === "object" && front !== null ? front : {}) as Record<string, unknown>;
  if (typeof f.name !== "string" || !NAME.test(f.name) || f.name.length > 64)
    return "name must be 1 to 64 lowercase letters, digits and hyphens";
  if (f.name !== folder) return `name "${f.name}" must be its folder's name ("${folder}")`;
  if (typeof f.description !== "string" || f.description.trim() === "" || f.description.length > 1024)
    return "description must be a non-empty string of at most 1024 characters";
  return { name: f.name, description: f.description.trim(), instructions: m[2]!.trim() };
}

function listFiles(abs: string, rel: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...listFiles(join(abs, e.name), path));
    else out.push(path);
  }
  return out.sort();
}
