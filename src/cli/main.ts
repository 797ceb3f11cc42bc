#!/usr/bin/env node
import { CairnError } from "../shared/errors.js";
import { leadingGlobalFlags, parse, UsageError } from "./args.js";
import { commandsUnder, findCommand } from "./command-table.js";
import { commandHelp, groupHelp, mainHelp } from "./help.js";
import { Stopped } from "./stopped.js";

async function main(words: string[]): Promise<number> {
  // Global flags may come before the command: `cairn --json runs ls` is `cairn runs ls --json`.
  const { flags: globals, rest: argv } = leadingGlobalFlags(words);
  const [first] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    console.log(mainHelp());
    return first === undefined ? 2 : 0;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    if (first.startsWith("-"))
      throw new UsageError(
        `unknown flag "${first}" before the command; only the global flags (--config, --store, --json) may come first: a command's own flags go after it, as \`cairn COMMAND --help\` shows`,
      );
    const group = commandsUnder(first);
    if (group.length > 0) {
      const sub = argv[1];
      const what =
        sub === undefined || sub.startsWith("-") ? "needs a subcommand" : `has no subcommand "${sub}"`;
      throw new UsageError(`cairn ${first} ${what}:\n${groupHelp(group)}`);
    }
    throw new UsageError(`unknown command "${first}"; \`cairn --help\` lists the commands`);
  }
  const { command } = found;
  const rest = [...globals, ...found.rest];
  if (rest.includes("--help") || rest.includes("-h")) {
    console.log(commandHelp(command));
    return 0;
  }
  const args = parse(command.name, rest, command.flags);
  const handler = await command.load();
  return handler(args);
}

// A reader that went away (`cairn runs ls | head`) is not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportError(err);
  },
);

/** One line for a person (the stack only with CAIRN_DEBUG=1); returns the exit code. */
function reportError(err: unknown): number {
  const debug = Boolean(process.env.CAIRN_DEBUG);
  if (err instanceof UsageError) {
    console.error(`cairn: ${err.message}`);
    return 2;
  }
  if (err instanceof Stopped) {
    console.error(`cairn: ${err.message}`);
    return err.exitCode;
  }
  if (CairnError.is(err)) {
    console.error(`cairn: ${err.message}`);
    if (debug) console.error(err.stack);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(
    `cairn: unexpected error: ${message.split("\n")[0]}` +
      (debug ? `\n${(err as Error)?.stack ?? ""}` : " (CAIRN_DEBUG=1 shows where it happened)"),
  );
  return 1;
}
