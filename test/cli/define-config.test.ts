import { describe, expect, it } from "vitest";
import { defineConfig } from "../../src/cli/define-config.js";

describe("defineConfig", () => {
  it("takes a store connection count and refuses one that is not a whole number >= 1", () => {
    expect(defineConfig({ store: "postgres://db/cairn", storeConnections: 4 }).storeConnections).toBe(4);
    for (const bad of [0, 2.5, "10"])
      expect(() => defineConfig({ storeConnections: bad as number })).toThrow(
        /"storeConnections" must be a whole number >= 1/,
      );
  });

  it("names an unknown key and lists the known ones", () => {
    expect(() => defineConfig({ storeConnection: 4 } as never)).toThrow(
      /unknown config key "storeConnection" \(known: .*storeConnections/,
    );
  });
});

describe("config keys that messages name exist", () => {
  it("takes a price table, and names the field that is wrong in one", () => {
    const prices = { "openai:gpt-5": { input: 1.25, output: 10, cachedInput: 0.125 } };
    expect(defineConfig({ prices }).prices).toEqual(prices);
    expect(() => defineConfig({ prices: { "gpt-5": { input: 1, output: 2 } } })).toThrow(
      /prices\["gpt-5"\]: name the model as provider:model/,
    );
    expect(() => defineConfig({ prices: { "openai:gpt-5": { input: -1, output: 2 } } })).toThrow(
      /prices\["openai:gpt-5"\]\.input must be a number >= 0 \(USD per million tokens\)/,
    );
    expect(() => defineConfig({ prices: { "openai:gpt-5": { input: 1, out: 2 } } as never })).toThrow(
      /prices\["openai:gpt-5"\]\.out is not a price field/,
    );
  });
});
