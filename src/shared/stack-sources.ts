import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
/** A frame's location in a stack: `file:///…:line:column`. */
const FRAME = /(file:\/\/[^\s()]+):(\d+):(\d+)/g;

/** Compiled modules by file URL: their code until a stack first needs it, then its source map. */
const compiled = new Map<string, string | SourceMap | null>();

/**
 * Registers a module compiled with an inline source map (the cached config): stacks passed to
 * `originalStack` then name the files and lines it was compiled from. The map is read only when
 * a stack goes through the module.
 */
export function mapStacksOf(url: string, code: string): void {
  compiled.set(url, code);
}

/** `stack` with each frame in a registered compiled module pointed at its source file and line. */
export function originalStack(stack: string): string {
  if (compiled.size === 0) return stack;
  return stack.replace(FRAME, (frame: string, url: string, line: string, column: string) => {
    const map = sourceMap(url);
    const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
    if (entry === undefined || !("originalSource" in entry)) return frame;
    try {
      return `${fileURLToPath(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    } catch {
      return frame;
    }
  });
}

function sourceMap(url: string): SourceMap | null | undefined {
  const known = compiled.get(url);
  if (typeof known !== "string") return known;
  let map: SourceMap | null = null;
  try {
    const inline = INLINE_MAP.exec(known);
    if (inline !== null) {
      const payload = JSON.parse(Buffer.from(inline[1]!, "base64").toString("utf8")) as {
        sources: string[];
        sourceRoot?: string;
      };
      // Sources as absolute URLs: relative ones are relative to the compiled file (or sourceRoot).
      payload.sources = payload.sources.map((s) => new URL(s, payload.sourceRoot || url).href);
      delete payload.sourceRoot;
      map = new SourceMap(payload as ConstructorParameters<typeof SourceMap>[0]);
    }
  } catch {
    // Not a map this can read: the stack keeps the compiled file's frames.
  }
  compiled.set(url, map);
  return map;
}
