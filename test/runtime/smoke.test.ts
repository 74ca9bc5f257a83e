import { afterEach, describe, expect, it } from "vitest";
import { testKeel, transformChain } from "../support/keel.ts";

describe("a flow runs end to end", () => {
  let keel: ReturnType<typeof testKeel>;
  afterEach(() => keel.dispose());

  it("runs a chain of transforms and returns the sink's output", async () => {
    keel = testKeel();
    const result = await keel.coordinator.run(transformChain(10), { start: 5 });
    expect(result.status).toBe("succeeded");
    expect(result.output).toEqual({ n9: { count: 14 } });
    expect(Object.values(result.nodes).every((n) => n.status === "succeeded" && n.attempts === 1)).toBe(true);
  });
});
