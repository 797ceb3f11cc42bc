import type { z as Zod } from "zod";
import type { CredentialSpec } from "../../agent/credentials.js";
import type { Tool, ToolOptions } from "../../agent/tool.js";
import { tool } from "../../agent/tool.js";
import { requireLazily } from "../../shared/require-lazily.js";

export interface HttpToolOptions {
  /** Credentials the requests may carry, each to its hosts only (see CredentialSpec). */
  credentials?: Record<string, CredentialSpec>;
  /** Told to the model; default says what it does and which hosts are authenticated. */
  description?: string;
  /** Longest response body handed back, in bytes (the rest is cut). Default 64 KiB. */
  maxBodyBytes?: number;
  /** Methods the model may use. Default all of GET, HEAD, POST, PUT, PATCH, DELETE. */
  methods?: HttpMethod[];
  needsApproval?: ToolOptions<HttpRequest, HttpResponse>["needsApproval"];
  retries?: number;
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof METHODS)[number];

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** True when the body was longer than maxBodyBytes and was cut. */
  truncated: boolean;
}

/** Response headers worth showing a model; the rest (cookies above all) stay out of its context. */
const SHOWN_HEADERS = [
  "content-type",
  "content-length",
  "location",
  "retry-after",
  "etag",
  "last-modified",
  "link",
];

/**
 * The built-in `http` tool: the model makes HTTP requests through the credential proxy. The
 * credentials it is given go to their hosts only, added by the proxy: the model never sees them,
 * and a value a server echoes back is redacted before the model, the journal or a log does.
 *
 * @example
 * agent({ ..., tools: { http: httpTool({
 *   credentials: { github: { hosts: ["api.github.com"], header: "Authorization: Bearer {{secret}}" } },
 * }) } });
 */
export function httpTool(options: HttpToolOptions = {}): Tool<HttpRequest, HttpResponse> {
  const { z } = requireLazily<{ z: typeof Zod }>("zod");
  const methods = options.methods ?? [...METHODS];
  const maxBody = options.maxBodyBytes ?? 64 * 1024;
  const hosts = Object.entries(options.credentials ?? {}).map(([n, c]) => `${c.hosts.join(", ")} (as ${n})`);
  const input = z.object({
    method: z.enum(methods as [HttpMethod, ...HttpMethod[]]).default("GET"),
    url: z.string().url().describe("http(s) URL"),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional().describe("a string, or JSON"),
  }) as unknown as Zod.ZodType<HttpRequest>;
  return tool<HttpRequest, HttpResponse>({
    description:
      options.description ??
      `Makes an HTTP request and returns its status, main headers and body (cut at ${maxBody} bytes).` +
        (hosts.length > 0
          ? ` Requests to ${hosts.join("; ")} are authenticated for you: never put tokens in the request.`
          : ""),
    input,
    retries: options.retries ?? 2,
    ...(options.needsApproval !== undefined ? { needsApproval: options.needsApproval } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    execute: async (req, ctx) => {
      const headers = new Headers(req.headers ?? {});
      let body: string | undefined;
      if (req.body !== undefined && req.method !== "GET" && req.method !== "HEAD") {
        if (typeof req.body === "string") body = req.body;
        else {
          body = JSON.stringify(req.body);
          if (!headers.has("content-type")) headers.set("content-type", "application/json");
        }
      }
      const res = await ctx.fetch(req.url, {
        method: req.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: ctx.signal,
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      const shown: Record<string, string> = {};
      for (const name of SHOWN_HEADERS) {
        const v = res.headers.get(name);
        if (v !== null) shown[name] = v;
      }
      return {
        status: res.status,
        headers: shown,
        body: bytes.subarray(0, maxBody).toString("utf8"),
        truncated: bytes.length > maxBody,
      };
    },
  });
}
