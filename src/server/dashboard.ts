import type { OpenAPIHono } from "@hono/zod-openapi";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { ServerEnv } from "./context.js";

/** One built file of the dashboard, read once at start. */
interface Asset {
  /** The file's bytes (index.html's as this server serves it). */
  body: Uint8Array<ArrayBuffer>;
  type: string;
  /** Vite names what it emits under assets/ by content hash: such a file never changes. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

/** What the dashboard's page may load: its own files, images inlined by tools, the API. */
const CSP =
  "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/**
 * Where the built dashboard is: `dist/dashboard` of this package (beside `dist/server` when
 * running the build, two levels up when running the sources under tsx in tests).
 */
export function defaultDashboardDir(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const beside = join(here, "..", "dashboard");
  if (existsSync(join(beside, "index.html"))) return beside;
  return join(here, "..", "..", "dist", "dashboard");
}

/** Reads every file of a built dashboard (a few hundred KiB); undefined when it is not built. */
export function loadDashboard(dir: string): Map<string, Asset> | undefined {
  if (!existsSync(join(dir, "index.html"))) return undefined;
  const files = new Map<string, Asset>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const url = "/" + relative(dir, path).split(sep).join("/");
        files.set(url, {
          body: new Uint8Array(readFileSync(path)),
          type: TYPES[extname(name).toLowerCase()] ?? "application/octet-stream",
          immutable: url.startsWith("/assets/"),
        });
      }
    }
  };
  walk(dir);
  return files;
}

/**
 * Serves the dashboard at `/`: its files by exact path (nothing else on disk is reachable), and
 * index.html for any other page path so the app's own links survive a reload. `/v1` stays the
 * API's: an unknown API route is still the API's JSON 404.
 */
export function dashboardRoutes(app: OpenAPIHono<ServerEnv>, dir: string, auth: { open: boolean }): void {
  const files = loadDashboard(dir);
  const index = files?.get("/index.html");
  if (index && auth.open) {
    // The page learns that this server needs no key (cairn dev) without asking and being refused.
    const html = new TextDecoder()
      .decode(index.body)
      .replace('<meta name="cairn-auth" content="keys"', '<meta name="cairn-auth" content="open"');
    index.body = new TextEncoder().encode(html);
  }
  app.get("*", (c) => {
    const path = c.req.path;
    if (path === "/v1" || path.startsWith("/v1/")) return c.notFound();
    if (files === undefined) {
      return c.text(
        "The dashboard is not built in this copy of cairn-runtime: run `npm run build` in the package, " +
          "then restart. The API is at /v1.\n",
        404,
      );
    }
    const file = files.get(path);
    if (file === undefined && extname(path) !== "") return c.text(`no file ${path}\n`, 404);
    const asset = file ?? files.get("/index.html")!;
    const headers: Record<string, string> = {
      "content-type": asset.type,
      "x-content-type-options": "nosniff",
      "cache-control": asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    };
    if (asset.type.startsWith("text/html")) {
      headers["content-security-policy"] = CSP;
      headers["referrer-policy"] = "no-referrer";
    }
    return c.body(asset.body, 200, headers);
  });
}
