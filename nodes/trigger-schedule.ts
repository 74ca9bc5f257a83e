import { Cron } from "croner";
import { z } from "zod";
import { defineNode } from "../runtime/node.ts";

/** Checks a cron expression and time zone the way the scheduler will read them; the problem, or undefined. */
export function cronProblem(cron: string, timezone?: string): string | undefined {
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: timezone });
    } catch {
      return `time zone "${timezone}" is not known (use an IANA name such as "Europe/Berlin")`;
    }
  }
  try {
    const next = new Cron(cron, { timezone }).nextRun();
    if (!next) return `cron "${cron}" never fires`;
  } catch (e) {
    return `cron "${cron}" is not valid: ${(e as Error).message}`;
  }
  return undefined;
}

const params = z
  .object({
    cron: z.string().min(1, "is required").describe('croner syntax, 5 fields (minute hour day month weekday) or 6 with seconds first, e.g. "0 9 * * 1-5"'),
    timezone: z.string().min(1).optional().describe('IANA time zone, e.g. "Europe/Berlin" (default: the server\'s)'),
    catchUp: z.enum(["once", "skip"]).default("once").describe("a schedule missed while Keel was down: run once on start, or skip it"),
  })
  .strict()
  .superRefine((p, issues) => {
    const problem = cronProblem(p.cron, p.timezone);
    if (problem) issues.addIssue({ code: "custom", path: [problem.startsWith("time zone") ? "timezone" : "cron"], message: problem });
  });

/** The schedule settings of a flow's trigger, as the scheduler reads them. */
export type ScheduleParams = z.output<typeof params>;

/** Reads a trigger.schedule node's params (defaults applied); undefined when they do not parse. */
export function scheduleParams(raw: unknown): ScheduleParams | undefined {
  const r = params.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** What a scheduled run gets as input (and the trigger outputs). */
export interface ScheduledInput {
  /** The time the schedule was due (ISO). */
  scheduledFor: string;
  /** True when this run makes up for a time missed while Keel was down. */
  catchUp: boolean;
  /** How many due times were missed (catch-up runs only). */
  missed?: number;
}

/** Starts a saved flow on a cron schedule, while `keel start` runs. */
export const triggerSchedule = defineNode({
  type: "trigger.schedule",
  version: 1,
  title: "Schedule",
  category: "trigger",
  description:
    "Starts the flow on a cron schedule (croner syntax, with a time zone) while the server runs; the flow must be saved. A time missed while Keel was down runs once on start (catchUp: once) or is skipped (skip). Output and run input: { scheduledFor, catchUp, missed? }.",
  kind: "pure",
  params,
  run: (ctx) => ctx.run.input,
});
