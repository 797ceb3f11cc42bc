import { describe, expect, it } from "vitest";
import { newId } from "../../src/shared/ids.js";

describe("newId", () => {
  it("ids made one after another sort in the order they were made, within one millisecond too", () => {
    const ids = Array.from({ length: 5_000 }, () => newId("msg"));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^msg_[0-9a-hjkmnp-tv-z]{19}$/);
  });
});
