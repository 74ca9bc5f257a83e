/** Small helpers for benchmarks: timing, percentiles, printing. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Prints a named figure, aligned, with an optional note (goal, baseline, ratio). */
export function report(name: string, value: number | string, unit = "", note = ""): void {
  const v = typeof value === "number" ? (Math.abs(value) < 10 ? value.toFixed(4) : value.toFixed(1)) : value;
  console.log(`  ${name.padEnd(44)} ${`${v} ${unit}`.padEnd(20)} ${note}`);
}

export function heading(title: string): void {
  console.log(`\n${title}`);
}
