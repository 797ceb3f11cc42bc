import { describe, expect, it } from "vitest";
import { redactUrl, redactUrlIn } from "../../src/shared/redact-url.js";

describe("redactUrl", () => {
  it.each([
    ["postgres://cairn:hunter2@db:5432/cairn", "postgres://cairn:***@db:5432/cairn"],
    // A password pasted unencoded, with "/" and "@" in it, is hidden whole.
    ["postgres://cairn:pa/ss@w0rd@db/cairn?sslmode=require", "postgres://cairn:***@db/cairn?sslmode=require"],
    ["postgres://db/cairn?password=hunter2", "postgres://db/cairn?password=***"],
    [
      "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/aBcDeFgHiJkLmNoPqRsTuV12",
      "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/***",
    ],
    [
      "https://hooks.example.com/cairn?token=s3cr3t&x=1&api_key=abc#top",
      "https://hooks.example.com/cairn?token=***&x=1&api_key=***#top",
    ],
    ["https://ghp1234567890abcdefghijkl@example.com/hook", "https://***@example.com/hook"],
    // Pasted unencoded with "#" or "?" in it, which end the part before the host for a URL parser.
    ["postgres://cairn:ab#SECRETPW@127.0.0.1:55440/cairn", "postgres://cairn:***@127.0.0.1:55440/cairn"],
    [
      "postgres://cairn:ab?SECRET/PW@db/cairn?sslmode=require",
      "postgres://cairn:***@db/cairn?sslmode=require",
    ],
  ])("hides the credentials of %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it.each([
    "postgres://cairn@db:5432/cairn_12_3",
    "sqlite:/tmp/cairn-project-AbC123xyz4567890/cairn.db",
    "sqlite:.cairn/cairn.db",
    "http://127.0.0.1:4567/hook?x=1",
    "https://medium.com/@someone",
    "https://example.com?from=a:b@c",
    "https://example.com/x#me:you@here",
    "https://example.com:8080?from=a@b",
    "not a url",
  ])("leaves %s as written", (url) => {
    expect(redactUrl(url)).toBe(url);
  });

  it("redacts a URL and its credentials wherever a message quotes them", () => {
    const url = "https://bot:pa55word@hooks.example.com/h/Secr3tPathToken0123456?sig=abc123";
    const message = `POST ${url} failed; server said: no hook /h/Secr3tPathToken0123456 (pa55word)`;
    const redacted = redactUrlIn(message, url);
    expect(redacted).toBe(
      "POST https://bot:***@hooks.example.com/h/***?sig=*** failed; server said: no hook /h/*** (***)",
    );
  });
});
