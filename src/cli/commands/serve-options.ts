import type { AppOptions } from "../../server/app.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** --port N (0: any free port), else $PORT, else 3000. */
export function portOf(args: Parsed): number {
  const flag = args.number("port");
  if (flag !== undefined) return flag;
  const text = process.env.PORT ?? "3000";
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`$PORT must be a port number (0-65535), not "${text}"`);
  return port;
}

/** --cors ORIGIN,… and --rate N (requests per second per key; 0: no limit). */
export function appLimits(args: Parsed): Pick<AppOptions, "corsOrigins" | "rateLimit"> {
  const out: Pick<AppOptions, "corsOrigins" | "rateLimit"> = {};
  const cors = args.string("cors");
  if (cors !== undefined) {
    const origins = cors.split(",").map((o) => o.trim());
    for (const o of origins)
      if (!/^https?:\/\/[^/]+$/.test(o))
        throw new UsageError(`--cors takes origins like https://app.example.com, not "${o}"`);
    out.corsOrigins = origins;
  }
  const rate = args.number("rate");
  if (rate !== undefined) out.rateLimit = rate === 0 ? false : { perSecond: rate };
  return out;
}

/** Resolves on SIGTERM or SIGINT, naming it. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
}
