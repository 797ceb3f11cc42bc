import { UsageError } from "./args.js";

/**
 * Reads a secret value: at a terminal, from a prompt that does not echo; otherwise all of stdin
 * (one trailing newline dropped). Never from a flag, where it would land in shell history and
 * in the process list.
 */
export async function readSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  const value = stdin.isTTY ? await hiddenPrompt(prompt) : await readAll();
  if (value === "")
    throw new UsageError(
      "the value is empty: pipe it in (… | cairn secrets set NAME) or type it at the prompt",
    );
  return value;
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

function hiddenPrompt(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    // Echo off before the prompt shows: a value typed or pasted at once is not echoed either.
    stdin.setRawMode(true);
    process.stderr.write(prompt);
    stdin.resume();
    stdin.setEncoding("utf8");
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (text: string) => {
      for (const ch of text) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") return done(new UsageError("cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
