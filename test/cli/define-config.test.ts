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
