import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CairnError } from "../../src/shared/errors.js";
import { decodePayload, encodePayload } from "../../src/shared/payload.js";
import { openJournal, openJournalAsync } from "../../src/store/open-journal.js";
import type { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { tempDir } from "../helpers.js";

function refusal(value: unknown, label = 'output of step "fetch"', maxBytes?: number): CairnError {
  try {
    encodePayload(value, label, maxBytes);
  } catch (err) {
    if (CairnError.is(err)) return err;
    throw new Error(`expected a Cairn error, got ${String(err)}`);
  }
  throw new Error("expected encodePayload to throw");
}

/** An array of `length` numbers with no element at `hole`. */
function holey(length: number, hole: number): number[] {
  const list: number[] = [];
  for (let i = 0; i < length; i++) if (i !== hole) list[i] = i;
  list.length = length;
  return list;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("encodePayload", () => {
  it.each<[string, unknown, string]>([
    ["a function", { a: { b: () => 1 } }, "value.a.b is a function"],
    ["a top-level function", () => 1, "value is a function"],
    ["a symbol", { s: Symbol("x") }, "value.s is a symbol"],
    ["a BigInt", { n: [1, 2n] }, "value.n[1] is a BigInt"],
    ["NaN", { x: NaN }, "value.x is NaN"],
    ["Infinity", { deep: { y: Infinity } }, "value.deep.y is Infinity"],
    ["-Infinity", [-Infinity], "value[0] is -Infinity"],
    ["a Map", { m: new Map([["k", 1]]) }, "value.m is a Map"],
    ["a Set", { s: new Set([1]) }, "value.s is a Set"],
    ["a class instance", { p: new Point(1, 2) }, "value.p is a Point"],
    ["undefined inside an array", { list: [1, undefined, 3] }, "value.list[1] is undefined"],
    ["a hole in an array", { list: holey(3, 1) }, "value.list[1] is undefined"],
  ])("refuses %s, naming the label and the path", (_what, value, problem) => {
    const err = refusal(value);
    expect(err.code).toBe("CAIRN_UNSERIALIZABLE");
    expect(err.retriable).toBe(false);
    expect(err.message).toContain('output of step "fetch"');
    expect(err.message).toContain(problem);
  });

  it("refuses a cycle, naming where it loops", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.child = { parent: a };
    const err = refusal(a);
    expect(err.code).toBe("CAIRN_UNSERIALIZABLE");
    expect(err.message).toContain("value.child.parent refers back to itself");
  });

  it("accepts the same object reached twice (not a cycle)", () => {
    const shared = { v: 1 };
    expect(JSON.parse(encodePayload({ a: shared, b: [shared] }, "x").text!)).toEqual({
      a: { v: 1 },
      b: [{ v: 1 }],
    });
  });

  it("names the real problem when the value also holds Dates or objects with toJSON", () => {
    const err = refusal({ at: new Date(0), when: { toJSON: () => "later" }, nested: { fn: () => 0 } });
    expect(err.message).toContain("value.nested.fn is a function");
  });

  it("names a toJSON that throws", () => {
    const err = refusal({
      bad: {
        toJSON: () => {
          throw new Error("no way");
        },
      },
    });
    expect(err.code).toBe("CAIRN_UNSERIALIZABLE");
    expect(err.message).toContain("value.bad.toJSON() threw (no way)");
  });

  it("stores Dates as ISO strings, and objects through their toJSON", () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    const encoded = encodePayload({ at, list: [at], custom: { toJSON: () => ({ k: 1 }) } }, "x");
    expect(JSON.parse(encoded.text!)).toEqual({
      at: "2026-01-02T03:04:05.006Z",
      list: ["2026-01-02T03:04:05.006Z"],
      custom: { k: 1 },
    });
  });

  it("treats undefined at the top level as void, and drops undefined properties as JSON does", () => {
    expect(encodePayload(undefined, "x")).toEqual({ text: undefined, bytes: 0 });
    expect(encodePayload({ a: 1, b: undefined }, "x").text).toBe('{"a":1}');
    expect(encodePayload(null, "x")).toEqual({ text: "null", bytes: 4 });
  });

  it("accepts plain JSON, including null-prototype objects, and counts UTF-8 bytes", () => {
    const bare = Object.assign(Object.create(null) as object, { k: "v" });
    expect(encodePayload(bare, "x").text).toBe('{"k":"v"}');
    expect(encodePayload("é", "x")).toEqual({ text: '"é"', bytes: 4 });
    expect(encodePayload([1, "a", true, null, { n: -0.5 }], "x").text).toBe('[1,"a",true,null,{"n":-0.5}]');
  });

  it("enforces the size ceiling with PayloadTooLargeError naming the label", () => {
    expect(encodePayload("x".repeat(98), "x", 100).bytes).toBe(100);
    const err = refusal("x".repeat(99), 'input of workflow "big"', 100);
    expect(err.code).toBe("CAIRN_PAYLOAD_TOO_LARGE");
    expect(err.name).toBe("PayloadTooLargeError");
    expect(err.message).toContain('input of workflow "big"');
    expect(err.message).toContain("101 B");
    expect(err.message).toContain("100 B");
  });
});

describe("decodePayload", () => {
  it("reads stored JSON back, void as undefined", () => {
    expect(decodePayload('{"a":[1]}', "x")).toEqual({ a: [1] });
    expect(decodePayload(null, "x")).toBeUndefined();
    expect(decodePayload(undefined, "x")).toBeUndefined();
  });

  it("fails a row that is not JSON with CAIRN_CORRUPT_PAYLOAD naming the label", () => {
    let caught: unknown;
    try {
      decodePayload("{nope", 'run run_1 step "s" output');
    } catch (err) {
      caught = err;
    }
    expect(CairnError.is(caught, "CAIRN_CORRUPT_PAYLOAD")).toBe(true);
    expect((caught as Error).message).toContain('run run_1 step "s" output');
  });
});

describe("openJournal", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  function configError(url: string | undefined): Error {
    try {
      const journal = openJournal(url);
      void journal.close();
    } catch (err) {
      expect(CairnError.is(err, "CAIRN_CONFIG")).toBe(true);
      return err as Error;
    }
    throw new Error(`expected openJournal(${String(url)}) to fail`);
  }

  it.each<[string, RegExp]>([
    ["sqlite:", /names no file.*sqlite:<path>/],
    ["sqlite:?synchronous=full", /names no file/],
    ["sqlite:x.db?synchronous=fast", /synchronous must be "full" or "normal", not "fast"/],
    ["sqlite:x.db?sync=normal", /unknown option "sync"/],
    ["sqlite://cairn.db", /sqlite:<path>/],
    ["mysql://localhost/cairn", /is not a store URL.*sqlite:<path>/],
    ["cairn.db", /is not a store URL/],
    ["", /is not a store URL/],
  ])("rejects %j with a clear message", (url, message) => {
    const err = configError(url);
    expect(err.message).toMatch(message);
    if (url !== "") expect(err.message).toContain(url);
  });

  it("sends a PostgreSQL URL to openJournalAsync, without echoing the password", () => {
    const err = configError("postgres://cairn:s3cret@db.example:5432/cairn");
    expect(err.message).toMatch(/PostgreSQL/);
    expect(err.message).not.toContain("s3cret");
    expect(err.message).toContain("cairn:***@db.example");
  });

  it("refuses a PostgreSQL URL whose password holds an unencoded # or ?, hiding the password", async () => {
    for (const url of [
      "postgres://cairn:ab#S3CRETPW@127.0.0.1:1/cairn",
      "postgres://cairn:ab?S3CRETPW@127.0.0.1:1/cairn",
    ]) {
      const err = await openJournalAsync(url).then(
        () => new Error("opened"),
        (e: unknown) => e as Error,
      );
      expect(err.message).toContain(
        "cannot open the PostgreSQL store at postgres://cairn:***@127.0.0.1:1/cairn",
      );
      expect(err.message).toContain("must be percent-encoded");
      expect(err.message).not.toContain("S3CRETPW");
    }
  });

  it("reads CAIRN_STORE when no URL is given", () => {
    vi.stubEnv("CAIRN_STORE", "sqlite:x.db?synchronous=sometimes");
    expect(configError(undefined).message).toContain("sometimes");
  });

  it("opens a SQLite file with the options the URL names", async () => {
    const path = join(tempDir(), "sub", "cairn.db");
    const journal = openJournal(`sqlite:${path}?synchronous=normal`) as SqliteJournal;
    expect(journal.dialect).toBe("sqlite");
    expect(journal.database.pragma("synchronous", { simple: true })).toBe(1);
    expect(journal.database.name).toBe(path);
    await journal.close();
  });
});
