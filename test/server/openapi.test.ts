import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { chatAgent, shipIt } from "./fixtures.js";
import { serverHarness } from "./support.js";

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document listing every route the app serves, generated from its schemas", async () => {
    const s = await serverHarness([shipIt], { agents: [chatAgent()] });
    const res = await s.call("GET", "/v1/openapi.json");
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // Every route registered on the app (but the document itself) is in the document.
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, object>))
      for (const m of Object.keys(methods)) documented.add(`${m.toUpperCase()} ${path}`);
    const served = s.cairn.app.routes
      .filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL" && r.path !== "/v1/openapi.json")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(served.length).toBeGreaterThan(15);
    for (const route of served) expect(documented, `${route} is served but not documented`).toContain(route);
    // The schemas are the validation: a documented required field is enforced.
    const startBody = doc.paths["/v1/runs"].post.requestBody.content["application/json"].schema;
    const schema = startBody.$ref ? doc.components.schemas[startBody.$ref.split("/").pop()] : startBody;
    expect(schema.required).toContain("workflow");
  });
});
