import type { Redactor } from "./redactor.js";

/** One credential a tool may use, as the proxy sees it: where it may go and how to get it. */
export interface ProxyCredential {
  name: string;
  /** Exact hosts ("api.github.com", "127.0.0.1:8080") or subdomain patterns ("*.github.com"). */
  hosts: readonly string[];
  /** `Header-Name: template`, with `{{secret}}` where the value goes. */
  header: string;
  /** What the tool holds instead of the value: swapped for it only on the way to an allowed host. */
  placeholder: string;
  /** The value (resolved on first use); `refresh` gets a new one after a 401 (OAuth). */
  value(options?: { refresh?: boolean }): Promise<string>;
  refreshable: boolean;
}

const MAX_REDIRECTS = 5;

/**
 * A `fetch` for tools: for a host a credential allows, its value goes into its header and
 * replaces its placeholder (URL, headers, body); to any other host the request goes without it
 * and `notices` says so. Redirects are followed here, one hop at a time, so a credential never
 * follows a redirect to a host it is not for. After a 401 from a refreshable credential's host,
 * the value is refreshed and the request sent once more. Every value is registered with the
 * run's redactor before it leaves.
 */
export function proxyFetch(
  credentials: readonly ProxyCredential[],
  redactor: Redactor,
  notices: Set<string>,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  return async (input, init) => {
    const original = new Request(input, init);
    const body = original.body === null ? undefined : Buffer.from(await original.arrayBuffer());
    let url = new URL(original.url);
    let method = original.method;
    let sendBody = body;
    let headers = new Headers(original.headers);
    for (let hop = 0; ; hop++) {
      const allowed = credentials.filter((c) => allows(c, url));
      for (const c of credentials) {
        if (!allowed.includes(c))
          notices.add(
            `credential ${c.name} was not sent to ${url.host}: it may only go to ${c.hosts.join(", ")}` +
              (url.protocol === "http:" && c.hosts.some((h) => matches(h, url)) ? " over https" : ""),
          );
      }
      const send = async (refresh: boolean) => {
        const values = new Map<ProxyCredential, string>();
        for (const c of allowed) {
          const v = await c.value(refresh && c.refreshable ? { refresh: true } : {});
          redactor.add(v, c.name);
          values.set(c, v);
        }
        const request = inject(url, headers, sendBody, values);
        return base(request.url, {
          method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          redirect: "manual",
          signal: original.signal,
        });
      };
      let res = await send(false);
      if (res.status === 401 && allowed.some((c) => c.refreshable)) {
        await res.body?.cancel();
        res = await send(true);
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || location === null || original.redirect === "manual")
        return res;
      if (hop >= MAX_REDIRECTS || original.redirect === "error") {
        await res.body?.cancel();
        throw new TypeError(`too many redirects from ${original.url}`);
      }
      await res.body?.cancel();
      const next = new URL(location, url);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        sendBody = undefined;
        headers = new Headers(headers);
        headers.delete("content-type");
        headers.delete("content-length");
      }
      if (next.origin !== url.origin) {
        // What the tool itself sent to the first host (cookies, its own auth) stays there too.
        headers = new Headers(headers);
        for (const h of ["authorization", "cookie", "proxy-authorization"]) headers.delete(h);
      }
      url = next;
    }
  };
}

/** A credential goes to its hosts only, and only over https (plain http is allowed on loopback). */
function allows(c: ProxyCredential, url: URL): boolean {
  const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
  return secure && c.hosts.some((h) => matches(h, url));
}

function matches(pattern: string, url: URL): boolean {
  const p = pattern.toLowerCase();
  const host = url.host.toLowerCase();
  const name = url.hostname.toLowerCase();
  if (p.startsWith("*.")) return name.endsWith(p.slice(1)) && name.length > p.length - 1;
  return p === host || p === name;
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function inject(
  url: URL,
  headers: Headers,
  body: Buffer | undefined,
  values: Map<ProxyCredential, string>,
): { url: string; headers: Headers; body: Buffer | undefined } {
  let u = url.toString();
  const h = new Headers();
  let b = body;
  const swap = (s: string) => {
    let out = s;
    for (const [c, v] of values) out = out.split(c.placeholder).join(v);
    return out;
  };
  for (const [c, v] of values) {
    u = u.split(encodeURIComponent(c.placeholder)).join(encodeURIComponent(v));
    u = u.split(c.placeholder).join(encodeURIComponent(v));
    if (b !== undefined && b.includes(c.placeholder))
      b = Buffer.from(b.toString("utf8").split(c.placeholder).join(v));
  }
  headers.forEach((value, name) => h.set(name, swap(value)));
  for (const [c, v] of values) {
    const colon = c.header.indexOf(":");
    h.set(
      c.header.slice(0, colon).trim(),
      c.header
        .slice(colon + 1)
        .trim()
        .split("{{secret}}")
        .join(v),
    );
  }
  return { url: u, headers: h, body: b };
}
