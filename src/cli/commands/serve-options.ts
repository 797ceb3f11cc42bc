import type { AppOptions } from "../../server/app.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";

/** Flags `cairn serve` and `cairn dev` share. */
export const SERVE_FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  cors: { type: "string" },
  rate: { type: "string" },
} as const;

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** --port N (0: any free port), else $PORT, else 3000. */
export function portOf(args: Parsed): number {
  const text = (args.values.port as string | undefined) ?? process.env.PORT ?? "3000";
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (0-65535), not "${text}"`);
  return port;
}

/** --cors ORIGIN,… and --rate N (requests per second per key; 0: no limit). */
export function appLimits(args: Parsed): Pick<AppOptions, "corsOrigins" | "rateLimit"> {
  const out: Pick<AppOptions, "corsOrigins" | "rateLimit"> = {};
  const cors = args.values.cors as string | undefined;
  if (cors !== undefined) {
    const origins = cors.split(",").map((o) => o.trim());
    for (const o of origins)
      if (!/^https?:\/\/[^/]+$/.test(o))
        throw new UsageError(`--cors takes origins like https://app.example.com, not "${o}"`);
    out.corsOrigins = origins;
  }
  const rate = args.values.rate as string | undefined;
  if (rate !== undefined) {
    const n = Number(rate);
    if (!Number.isFinite(n) || n < 0)
      throw new UsageError(`--rate must be requests per second (0: no limit), not "${rate}"`);
    out.rateLimit = n === 0 ? false : { perSecond: n };
  }
  return out;
}

/** Resolves on SIGTERM or SIGINT, naming it. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
}
