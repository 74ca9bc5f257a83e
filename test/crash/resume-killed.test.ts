/**
 * `keel resume` itself killed, again and again, at chosen moments: each later resume must pick
 * up where the killed one stopped, and the run still ends as an uninterrupted one, every side
 * effect applied once.
 */
import { beforeAll, describe, it } from "vitest";
import { ORDER_INPUTS } from "./order-flow.ts";
import { crashScenario, measureBaseline, type Baseline } from "./scenario.ts";

describe("a killed resume is resumed again", () => {
  const input = ORDER_INPUTS[0];
  let base: Baseline;
  beforeAll(async () => {
    base = await measureBaseline(input);
  }, 60_000);

  it("survives kills in the run and in three resumes, between requests and their responses", async () => {
    await crashScenario({
      seed: 9001,
      input,
      base,
      plans: [
        // the charge is made but its answer never reaches Keel
        { kind: "request", pathPrefix: "/charges/", phase: "after-effect" },
        // the resume re-sends the charge with the same key: killed again before the server acts
        { kind: "request", pathPrefix: "/charges/", phase: "before-effect" },
        // the next resume gets the stored charge, then is killed once the shipment is made
        { kind: "request", pathPrefix: "/shipments/", phase: "after-effect" },
        // and the next one the moment it starts
        { kind: "line", line: "▶ run RUN resumed", delayMs: 0 },
      ],
    });
  }, 120_000);

  it("survives a resume killed right after the last node finished", async () => {
    await crashScenario({
      seed: 9002,
      input,
      base,
      plans: [
        { kind: "line", line: "✓ ledger done", delayMs: 0 },
        { kind: "line", line: "✓ notify done", delayMs: 0 },
      ],
    });
  }, 120_000);
});
