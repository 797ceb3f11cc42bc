#!/usr/bin/env node
import { CairnError } from "../shared/errors.js";
import { parse, UsageError } from "./args.js";
import { commandsUnder, findCommand } from "./command-table.js";
import { commandHelp, groupHelp, mainHelp } from "./help.js";
import { Stopped } from "./stopped.js";

async function main(argv: string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    console.log(mainHelp());
    return first === undefined ? 2 : 0;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    const group = commandsUnder(first);
    if (group.length > 0) {
      const sub = argv[1];
      const what =
        sub === undefined || sub.startsWith("-") ? "needs a subcommand" : `has no subcommand "${sub}"`;
      throw new UsageError(`cairn ${first} ${what}:\n${groupHelp(group)}`);
    }
    throw new UsageError(`unknown command "${first}"; \`cairn --help\` lists the commands`);
  }
  const { command, rest } = found;
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
