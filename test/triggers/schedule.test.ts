/** trigger.schedule: croner expressions with time zones; times missed while Keel was down run once on start (or are skipped). */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkFlow } from "../../runtime/prepare.ts";
import { createRegistry } from "../../nodes/index.ts";
import { Scheduler } from "../../server/scheduler.ts";
import { makeFlow, testKeel } from "../support/keel.ts";

function scheduledFlow(params: Record<string, unknown>, id = "daily-digest") {
  return makeFlow(
    [
      { id: "tick", type: "trigger.schedule", params },
      { id: "note", type: "transform", params: { set: { at: "{{ nodes.tick.output.scheduledFor }}", late: "{{ nodes.tick.output.catchUp }}" } } },
    ],
    [["tick", "note"]],
    { id },
  );
}

describe("schedules", () => {
  let keel: ReturnType<typeof testKeel>;
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    scheduler?.stop();
    scheduler = undefined;
    await keel?.dispose();
  });

  function writeState(key: string, lastRun: Date) {
    fs.writeFileSync(path.join(keel.dataDir, "schedules.json"), JSON.stringify({ schedules: { [key]: { lastRun: lastRun.toISOString() } } }));
  }
  async function finished(runId: string) {
    for (let i = 0; i < 300; i++) {
      const state = await keel.coordinator.state(runId);
      if (["succeeded", "failed", "canceled"].includes(state.status)) return state;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`run ${runId} did not finish`);
  }
  const readState = () => JSON.parse(fs.readFileSync(path.join(keel.dataDir, "schedules.json"), "utf8")).schedules;
  const runsOf = async (flowId: string) => {
    await keel.index.flush();
    return (await keel.index.list({ flowId })).items;
  };

  it("catch-up once: several hourly times missed while down start exactly one run on start", async () => {
    keel = testKeel();
    await keel.flows.put(scheduledFlow({ cron: "0 * * * *", catchUp: "once" }) as never);
    writeState("daily-digest/tick", new Date(Date.now() - 5 * 3600_000 - 60_000));
    scheduler = new Scheduler({ keel, log: () => {} });
    const started = await scheduler.start();
    expect(started).toHaveLength(1);
    const state = await finished(started[0]);
    expect(state.status).toBe("succeeded");
    expect(state.input).toMatchObject({ catchUp: true, missed: expect.any(Number) });
    expect((state.input as { missed: number }).missed).toBeGreaterThanOrEqual(5);
    const due = Date.parse((state.input as { scheduledFor: string }).scheduledFor);
    expect(due).toBeLessThanOrEqual(Date.now());
    expect(new Date(due).getUTCMinutes()).toBe(0);
    expect(readState()["daily-digest/tick"]).toMatchObject({ lastRun: new Date(due).toISOString(), runId: started[0] });

    // a second start owes nothing more
    scheduler.stop();
    scheduler = new Scheduler({ keel, log: () => {} });
    expect(await scheduler.start()).toEqual([]);
    expect(await runsOf("daily-digest")).toHaveLength(1);
  });

  it("catch-up skip: missed times start nothing and are marked as done", async () => {
    keel = testKeel();
    await keel.flows.put(scheduledFlow({ cron: "0 * * * *", catchUp: "skip" }) as never);
    writeState("daily-digest/tick", new Date(Date.now() - 3 * 3600_000 - 60_000));
    const lines: string[] = [];
    scheduler = new Scheduler({ keel, log: (l) => lines.push(l) });
    expect(await scheduler.start()).toEqual([]);
    expect(await runsOf("daily-digest")).toEqual([]);
    expect(lines.join("\n")).toMatch(/skipped \d+ times missed while Keel was down/);
    expect(Date.parse(readState()["daily-digest/tick"].lastRun)).toBeGreaterThan(Date.now() - 3600_000 - 1000);
  });

  it("a schedule seen for the first time owes nothing from before", async () => {
    keel = testKeel();
    await keel.flows.put(scheduledFlow({ cron: "0 * * * *" }) as never);
    scheduler = new Scheduler({ keel, log: () => {} });
    expect(await scheduler.start()).toEqual([]);
    expect(readState()["daily-digest/tick"].lastRun).toEqual(expect.any(String));
  });

  it("fires on its schedule while running (every second)", async () => {
    keel = testKeel();
    await keel.flows.put(scheduledFlow({ cron: "* * * * * *" }) as never);
    scheduler = new Scheduler({ keel, log: () => {} });
    await scheduler.start();
    let runs: Awaited<ReturnType<typeof runsOf>> = [];
    for (let i = 0; i < 60 && runs.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      runs = await runsOf("daily-digest");
    }
    expect(runs.length).toBeGreaterThanOrEqual(1);
    scheduler.stop();
    const state = await finished(runs[runs.length - 1].id);
    expect(state.input).toMatchObject({ catchUp: false });
    expect(state.status).toBe("succeeded");
  });

  it("reads expressions in their time zone, and refuses bad ones when the flow is checked", async () => {
    keel = testKeel();
    await keel.flows.put(scheduledFlow({ cron: "0 9 * * *", timezone: "Asia/Tokyo" }) as never);
    scheduler = new Scheduler({ keel, log: () => {} });
    await scheduler.start();
    const next = scheduler.next()["daily-digest/tick"]!;
    expect(next).toMatch(/T00:00:00\.000Z$/); // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC

    const registry = createRegistry();
    const badCron = checkFlow(scheduledFlow({ cron: "61 * * * *" }), registry);
    expect(!badCron.ok && badCron.issues[0].message).toContain('cron "61 * * * *" is not valid');
    const badZone = checkFlow(scheduledFlow({ cron: "0 9 * * *", timezone: "Mars/Olympus" }), registry);
    expect(!badZone.ok && badZone.issues[0].message).toContain('time zone "Mars/Olympus" is not known');
  });
});
