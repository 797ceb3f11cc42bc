/** A structured logger. Cairn passes one in everywhere instead of writing to the console. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Writes one JSON line per entry to stderr at or above `level` (default "warn"). */
export function stderrLogger(level: Level = "warn", base: Record<string, unknown> = {}): Logger {
  const write = (l: Level, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return;
    process.stderr.write(
      JSON.stringify({ level: l, time: new Date().toISOString(), message, ...base, ...fields }) + "\n",
    );
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
