/** Query keys whose values are credentials (`?token=…`, `?api_key=…`, `?sig=…`). */
const SECRET_KEY = /token|secret|passw|pwd|key|sig|auth|credential|session|code/i;

/** A path segment or user name that looks like a credential: long, letters and digits mixed. */
function looksSecret(s: string): boolean {
  return s.length >= 20 && /[A-Za-z]/.test(s) && /\d/.test(s) && /^[\w\-.~%:+=]+$/.test(s);
}

/**
 * A URL with its credentials hidden, for anything printed or stored (messages, logs, the
 * journal): the password of `user:password@` becomes `***`, as do the values of token-like query
 * keys and, in http(s) URLs (webhooks), long secret-looking path segments such as the token in
 * `https://hooks.example.com/services/T01/B02/Xy12…`. Anything else is left as written.
 *
 * @example
 * redactUrl("postgres://cairn:hunter2@db:5432/cairn") // "postgres://cairn:***@db:5432/cairn"
 */
export function redactUrl(url: string): string {
  return scan(url).redacted;
}

/**
 * `text` (an error message, a response body) with `url` and every credential found in it
 * replaced: a server that echoes the token of its path in a 404 does not put it in the journal.
 */
export function redactUrlIn(text: string, url: string): string {
  const { redacted, secrets } = scan(url);
  let out = url === "" ? text : text.split(url).join(redacted);
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join("***");
  return out;
}

function scan(url: string): { redacted: string; secrets: string[] } {
  const secrets: string[] = [];
  const hide = (secret: string) => {
    secrets.push(secret);
    try {
      const decoded = decodeURIComponent(secret);
      if (decoded !== secret) secrets.push(decoded);
    } catch {
      // not percent-encoded text: the raw form is enough
    }
    return "***";
  };
  const scheme = /^([a-z][a-z0-9+.-]*:)(\/\/)?/i.exec(url);
  if (scheme === null) return { redacted: url, secrets };
  let rest = url.slice(scheme[0].length);
  let out = scheme[0];
  if (scheme[2] !== undefined) {
    // Userinfo runs to the last "@" before any query: a password pasted unencoded may hold "/".
    // Or, with no "@" there, to the last "@" of all when a user name and ":" come first (not a
    // host and its port): a password pasted unencoded may hold "?" or "#" too.
    const head = rest.slice(0, rest.search(/[?#]|$/));
    let at = head.lastIndexOf("@");
    if (at === -1 && /^[^/?#:@]*:(?!\d*(?:[/?#]|$))/.test(rest)) at = rest.lastIndexOf("@");
    const userinfo = at === -1 ? "" : rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    if (at !== -1 && !user.includes("/")) {
      const password = colon === -1 ? undefined : userinfo.slice(colon + 1);
      out += `${looksSecret(user) ? hide(user) : user}${password === undefined ? "" : `:${hide(password)}`}@`;
      rest = rest.slice(at + 1);
    }
    const end = rest.search(/[/?#]|$/);
    out += rest.slice(0, end);
    rest = rest.slice(end);
  }
  const hashAt = rest.indexOf("#");
  const fragment = hashAt === -1 ? "" : rest.slice(hashAt);
  const beforeHash = hashAt === -1 ? rest : rest.slice(0, hashAt);
  const queryAt = beforeHash.indexOf("?");
  let path = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const query = queryAt === -1 ? undefined : beforeHash.slice(queryAt + 1);
  if (/^https?:$/i.test(scheme[1]!)) {
    path = path
      .split("/")
      .map((segment) => (looksSecret(segment) ? hide(segment) : segment))
      .join("/");
  }
  out += path;
  if (query !== undefined) {
    out += `?${query
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        if (eq === -1) return pair;
        const [key, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
        return SECRET_KEY.test(decodeURIComponentSafe(key)) && value !== "" ? `${key}=${hide(value)}` : pair;
      })
      .join("&")}`;
  }
  return { redacted: out + fragment, secrets };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
