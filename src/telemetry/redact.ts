import { redactUrl } from "../shared/redact-url.js";

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** Key shapes providers and Cairn hand out: sk-…, sk-ant-…, cairn_…, ghp_…, xox…- tokens, AKIA…. */
const KEY_SHAPES =
  /\b(sk-(?:ant-)?[A-Za-z0-9_-]{16,}|cairn_[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpors]-[A-Za-z0-9-]{10,}|AKIA[A-Z0-9]{16})\b/g;
/** Environment variables whose values are credentials. */
const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i;

/** The values of this process's secret-named environment variables (API keys, passwords). */
export function secretValues(env: Record<string, string | undefined> = process.env): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && value.length >= 8 && SECRET_ENV.test(name))
    .map(([, value]) => value!);
}

/**
 * Text with credentials taken out, for anything a trace exports: URLs go through the same
 * redaction as everything Cairn prints (redactUrl), bearer tokens and known key shapes become
 * `***`, and so does any of `secrets` (see secretValues) wherever it appears.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_IN_TEXT, (url) => redactUrl(url));
  out = out.replace(BEARER, "$1 ***").replace(KEY_SHAPES, "***");
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("***");
  return out;
}
