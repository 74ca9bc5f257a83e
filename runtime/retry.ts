import { z } from "zod";

/** How a node is retried: attempts in all (1 = no retry), first delay, and the delay cap. */
export const RetryPolicySchema = z
  .object({
    attempts: z.number().int().min(1).max(100).default(1),
    backoffMs: z.number().int().min(0).max(3_600_000).default(1000),
    maxDelayMs: z.number().int().min(0).max(86_400_000).default(60_000),
  })
  .strict();

/** A validated retry policy. */
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/** The policy of a node that says nothing: one attempt. */
export const NO_RETRY: RetryPolicy = { attempts: 1, backoffMs: 1000, maxDelayMs: 60_000 };

/**
 * Delay before attempt `next` (2, 3, ...): exponential from backoffMs, capped at maxDelayMs,
 * with "equal jitter" (half fixed, half random) so that many runs retrying together spread out
 * but never retry sooner than half the nominal delay.
 */
export function backoffDelay(policy: RetryPolicy, next: number, random: () => number = Math.random): number {
  const exp = policy.backoffMs * 2 ** Math.max(0, next - 2);
  const capped = Math.min(policy.maxDelayMs, exp);
  return Math.round(capped / 2 + (random() * capped) / 2);
}
