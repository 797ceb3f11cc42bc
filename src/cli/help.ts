import type { FlagDef, FlagDefs } from "./args.js";
import { GLOBAL_FLAGS } from "./args.js";
import type { CommandDef } from "./command-table.js";
import { COMMANDS, usageLine } from "./command-table.js";

/** `cairn --help`: every command in one line each, from the command table. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => commandWithArgs(c).length));
  const lines = COMMANDS.map((c) => `  ${commandWithArgs(c).padEnd(width)}  ${c.summary}`);
  return `cairn: a durable agent runtime

${lines.join("\n")}

Global flags (before or after the command):
${flagLines(GLOBAL_FLAGS)}

\`cairn COMMAND --help\` shows a command's flags.`;
}

/** `cairn COMMAND --help`: its usage, what it does, and its flags. */
export function commandHelp(c: CommandDef): string {
  const parts = [`usage: ${usageLine(c)}`, "", c.summary];
  if (c.details) parts.push("", c.details);
  if (Object.keys(c.flags).length > 0) parts.push("", flagLines(c.flags));
  parts.push("", "Global flags: --config PATH, --store URL, --json, --help");
  return parts.join("\n");
}

/** The usage of every command of a group ("runs"), for a missing or unknown subcommand. */
export function groupHelp(commands: CommandDef[]): string {
  return commands.map((c) => `  ${usageLine(c)}`).join("\n");
}

export function commandWithArgs(c: CommandDef): string {
  return `cairn ${c.name}${c.args ? ` ${c.args}` : ""}`;
}

/** How a flag is written: `--limit N`, `--once`, `-h, --help`. */
export function flagUsage(name: string, f: FlagDef): string {
  const short = f.type === "boolean" && f.short ? `-${f.short}, ` : "";
  return `${short}--${name}${f.type === "boolean" ? "" : ` ${f.value}`}${f.type === "string" && f.multiple ? "…" : ""}`;
}

/** What a flag's value must be, in words: "1 to 10,000", "one of: …". */
export function flagTakes(f: FlagDef): string {
  switch (f.type) {
    case "int":
      return `a whole number, ${f.min} to ${f.max.toLocaleString("en-US")}`;
    case "duration":
      return "a duration: 90 (seconds), 30s, 5m, 1h";
    case "json":
      return "JSON";
    case "enum":
      return `one of: ${f.values.join(", ")}`;
    default:
      return "";
  }
}

function flagLines(flags: FlagDefs): string {
  const entries = Object.entries(flags);
  const width = Math.max(...entries.map(([n, f]) => flagUsage(n, f).length));
  return entries
    .map(([n, f]) => {
      const takes = flagTakes(f);
      return `  ${flagUsage(n, f).padEnd(width)}  ${f.help}${takes && f.type !== "json" ? ` (${takes})` : ""}`;
    })
    .join("\n");
}
