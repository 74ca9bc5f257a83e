import { z } from "zod";
import { describe, expect, it } from "vitest";
import { builtinNodes } from "../../nodes/index.ts";
import { flowJsonSchema } from "../../runtime/schema/flow.ts";

describe("JSON Schema generated from the zod schemas", () => {
  it("describes the flow document", () => {
    const schema = flowJsonSchema() as {
      type: string;
      required: string[];
      properties: Record<string, { const?: string; items?: { properties: Record<string, unknown>; required: string[] } }>;
      additionalProperties: boolean;
    };
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(expect.arrayContaining(["schema", "id", "name", "nodes"]));
    expect(schema.properties.schema.const).toBe("keel/flow@1");
    expect(schema.additionalProperties).toBe(false);
    const node = schema.properties.nodes.items!;
    expect(Object.keys(node.properties)).toEqual(
      expect.arrayContaining(["id", "type", "params", "retry", "timeoutMs", "onError", "position"]),
    );
    expect(node.required).toEqual(expect.arrayContaining(["id", "type"]));
    // input io: fields with defaults are optional for whoever writes a flow
    expect(node.required).not.toContain("params");
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it("describes every built-in node type's params", () => {
    for (const def of builtinNodes) {
      const schema = z.toJSONSchema(def.params, { io: "input" }) as { type?: string; properties?: Record<string, unknown> };
      expect(schema.type, def.type).toBe("object");
    }
    const http = builtinNodes.find((d) => d.type === "action.http")!;
    const schema = z.toJSONSchema(http.params, { io: "input" }) as {
      properties: Record<string, { enum?: string[]; default?: unknown; format?: string }>;
      required: string[];
    };
    expect(schema.required).toEqual(["url"]);
    expect(schema.properties.method.enum).toContain("POST");
    expect(schema.properties.method.default).toBe("POST");
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["url", "headers", "body", "compensate"]));
  });
});
