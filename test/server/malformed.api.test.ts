import zlib from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { makeFlow } from "../support/keel.ts";
import { apiContext, type TestApi } from "./support/api.ts";

let api: TestApi;
const faults: string[] = [];
beforeAll(async () => {
  api = apiContext({ log: (line) => faults.push(line) });
  await api.call("POST", "/api/flows", makeFlow([{ id: "a", type: "transform", params: { set: { x: 1 } } }], [], { id: "ok", name: "OK" }));
  await api.call("POST", "/api/flows", makeFlow([{ id: "a", type: "transform" }], [], { id: "loop", name: "Loop", input: { $ref: "#" } }));
});
afterAll(async () => {
  await api.dispose();
});

const JSON_TYPE = { "content-type": "application/json" };
const flow = (patch: Record<string, unknown>) => JSON.stringify({ ...makeFlow([{ id: "a", type: "transform" }], [], { id: "m", name: "M" }), ...patch });
const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

/** [label, method, url, raw body, extra headers]: each one is wrong in its own way. */
const CASES: Array<[string, string, string, string | Buffer | undefined, Record<string, string>?]> = [
  ["open brace", "POST", "/api/flows", "{"],
  ["close brace", "POST", "/api/flows", "}"],
  ["cut array", "POST", "/api/flows", "[1,2"],
  ["null", "POST", "/api/flows", "null"],
  ["number", "POST", "/api/flows", "123"],
  ["string", "POST", "/api/flows", '"flow"'],
  ["true", "POST", "/api/flows", "true"],
  ["empty object", "POST", "/api/flows", "{}"],
  ["array", "POST", "/api/flows", "[]"],
  ["schema only", "POST", "/api/flows", '{"schema":"keel/flow@1"}'],
  ["old schema", "POST", "/api/flows", '{"schema":"keel/flow@0","id":"a","name":"a","nodes":[]}'],
  ["trailing comma", "POST", "/api/flows", '{"a":1,}'],
  ["single quotes", "POST", "/api/flows", "{'a':1}"],
  ["NaN", "POST", "/api/flows", '{"a":NaN}'],
  ["comment", "POST", "/api/flows", '{"a":1 /* x */}'],
  ["two documents", "POST", "/api/flows", "{}{}"],
  ["binary junk", "POST", "/api/flows", Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0x81])],
  ["invalid utf-8 in a string", "POST", "/api/flows", Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])],
  ["nested 10 000 deep", "POST", "/api/flows", deep(10_000)],
  ["deep params", "POST", "/api/flows", flow({ nodes: [{ id: "a", type: "transform", params: { set: { v: JSON.parse(deep(99)) } } }] })],
  ["proto key", "POST", "/api/flows", '{"__proto__":{"polluted":true},"schema":"keel/flow@1"}'],
  ["constructor key", "POST", "/api/flows", '{"constructor":{"prototype":{"x":1}}}'],
  ["too many nodes", "POST", "/api/flows", flow({ nodes: Array.from({ length: 5001 }, (_, i) => ({ id: `n${i}`, type: "transform" })) })],
  ["node without id", "POST", "/api/flows", flow({ nodes: [{ type: "transform" }] })],
  ["node type a number", "POST", "/api/flows", flow({ nodes: [{ id: "a", type: 7 }] })],
  ["params an array", "POST", "/api/flows", flow({ nodes: [{ id: "a", type: "transform", params: [1] }] })],
  ["bad expression", "POST", "/api/flows", flow({ nodes: [{ id: "a", type: "transform", params: { set: { x: "{{ ) }}" } } }] })],
  ["edge to nowhere", "POST", "/api/flows", flow({ edges: [{ id: "e", from: "a", to: "zz" }] })],
  ["unusable input schema", "POST", "/api/flows", flow({ input: { type: 5 } })],
  ["input against a schema that refers to itself", "POST", "/api/flows/loop/runs", '{"input":{"a":1}}'],
  ["id with a path", "POST", "/api/flows", flow({ id: "../../etc" })],
  ["unknown top-level field", "POST", "/api/flows", flow({ extra: true })],
  ["position not numbers", "POST", "/api/flows", flow({ nodes: [{ id: "a", type: "transform", position: { x: "a", y: null } }] })],
  ["PUT an array", "PUT", "/api/flows/ok", "[]"],
  ["PUT a null", "PUT", "/api/flows/ok", "null"],
  ["PUT another id", "PUT", "/api/flows/ok", flow({ id: "other" })],
  ["validate a string", "POST", "/api/flows/validate", '"x"'],
  ["run body an array", "POST", "/api/flows/ok/runs", "[1]"],
  ["run body with extra field", "POST", "/api/flows/ok/runs", '{"input":{},"x":1}'],
  ["run body not JSON", "POST", "/api/flows/ok/runs", "input=1"],
  ["cancel reason a number", "POST", "/api/runs/r-20260101-000000-0123456789/cancel", '{"reason":5}'],
  ["text/plain body", "POST", "/api/flows", flow({}), { "content-type": "text/plain" }],
  ["form body", "POST", "/api/flows", "a=1&b=2", { "content-type": "application/x-www-form-urlencoded" }],
  ["unsupported charset", "POST", "/api/flows", flow({}), { "content-type": "application/json; charset=latin1" }],
  ["gzip that is not gzip", "POST", "/api/flows", "not gzip at all", { "content-encoding": "gzip" }],
  ["unknown content encoding", "POST", "/api/flows", flow({}), { "content-encoding": "zz" }],
  ["gzip bomb over the limit", "POST", "/api/flows", zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)), { "content-encoding": "gzip" }],
  ["body over the limit", "POST", "/api/flows", `{"x":"${"y".repeat(1024 * 1024 + 10)}"}`],
  ["content-length longer than the body", "POST", "/api/flows", "{}", { "content-length": "100" }],
  ["bad percent-encoding in the URL", "GET", "/api/flows/%E0%A4%A", undefined],
  ["method not routed", "PATCH", "/api/flows/ok", "{}"],
];

test(`${CASES.length} malformed requests are each refused with a 4xx, and the server still serves`, async () => {
  expect(CASES.length).toBeGreaterThanOrEqual(50);
  for (const [label, method, url, body, headers] of CASES) {
    const res = await api.call(method, url, body, { ...(body === undefined ? {} : JSON_TYPE), ...headers });
    if (process.env.SHOW) console.log(label, res.status, res.text.slice(0, 150));
    expect.soft(res.status, `${label}: ${res.text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
    expect.soft(res.status, `${label}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
    expect.soft(typeof res.json?.error?.message, `${label} has a JSON error body`).toBe("string");
  }
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(faults).toEqual([]);
  const still = await api.call("GET", "/api/flows");
  expect(still.status).toBe(200);
  expect(still.json.items.map((f: { id: string }) => f.id).sort()).toEqual(["loop", "ok"]);
  const run = await api.call("POST", "/api/flows/ok/runs", {});
  expect(run.status).toBe(202);
});
