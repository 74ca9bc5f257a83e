/** The redactor: secrets registered with a run are replaced in everything the run writes. */
import { describe, expect, it } from "vitest";
import { SecretRedactor } from "../../runtime/redact.ts";
import type { RunEventBody } from "../../runtime/schema/events.ts";

const SECRET = "tok_9f8e7d6c5b4a";

describe("SecretRedactor", () => {
  it("replaces a secret inside larger strings, nested values and object keys", () => {
    const r = new SecretRedactor();
    r.register("run1", "crm", SECRET);
    const event: RunEventBody = {
      type: "node.succeeded",
      node: "n",
      attempt: 1,
      ms: 1,
      output: { headers: { authorization: `Bearer ${SECRET}` }, list: [`x${SECRET}y`, 1, null], [SECRET]: true },
    };
    expect(r.redact("run1", event)).toEqual({
      type: "node.succeeded",
      node: "n",
      attempt: 1,
      ms: 1,
      output: { headers: { authorization: "Bearer [secret:crm]" }, list: ["x[secret:crm]y", 1, null], "[secret:crm]": true },
    });
    expect(JSON.stringify(event)).toContain(SECRET); // the original is not changed in place
  });

  it("catches the common encodings of a secret", () => {
    const r = new SecretRedactor();
    r.register("run1", "basic", "user:pa ss/word");
    const b64 = Buffer.from("user:pa ss/word").toString("base64");
    const text = `Basic ${b64} and ${encodeURIComponent("user:pa ss/word")}`;
    expect(r.redactText("run1", text)).toBe("Basic [secret:basic] and [secret:basic]");
  });

  it("touches only the run the secret was handed to, and forgets it when the run ends", () => {
    const r = new SecretRedactor();
    r.register("run1", "crm", SECRET);
    const log = (message: string): RunEventBody => ({ type: "node.log", node: "n", message });
    expect(r.redact("run2", log(SECRET))).toEqual(log(SECRET));
    expect(r.redactAny(`x ${SECRET}`)).toBe("x [secret:crm]");
    r.redact("run1", { type: "run.succeeded", output: {} });
    expect(r.size()).toBe(0);
  });

  it("returns the same event when nothing is secret, and ignores values too short to redact", () => {
    const r = new SecretRedactor();
    r.register("run1", "tiny", "ab");
    const event: RunEventBody = { type: "node.log", node: "n", message: "ab cd" };
    expect(r.redact("run1", event)).toBe(event);
  });

  it("redacts values nested deeper than the walk goes", () => {
    const r = new SecretRedactor();
    r.register("run1", "crm", SECRET);
    let deep: unknown = { s: SECRET };
    for (let i = 0; i < 300; i++) deep = { d: deep };
    const out = r.redact("run1", { type: "node.succeeded", node: "n", attempt: 1, ms: 0, output: deep });
    expect(JSON.stringify(out)).not.toContain(SECRET);
    expect(JSON.stringify(out)).toContain("[secret:crm]");
  });
});

describe("engine fault lines", () => {
  it("are redacted even when the caller brings its own log (as keel start does)", async () => {
    const { testKeel, makeFlow } = await import("../support/keel.ts");
    const lines: string[] = [];
    const keel = testKeel({ coordinator: { log: (l) => lines.push(l) } });
    try {
      const secret = "s3cr3t-value-for-fault-log";
      keel.coordinator.on((runId, e) => {
        if (e.type === "run.created") keel.redactor.register(runId, "api", secret);
        if (e.type === "node.started") throw new Error(`listener saw ${secret}`);
      });
      const r = await keel.coordinator.run(makeFlow([{ id: "a", type: "transform" }]), {});
      expect(r.status).toBe("succeeded");
      expect(lines.some((l) => l.includes("[secret:api]"))).toBe(true);
      expect(lines.join("\n")).not.toContain(secret);
    } finally {
      await keel.dispose();
    }
  });
});
