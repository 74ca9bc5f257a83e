/** Dates as people read them: "14:05" today, "24 Nov 14:05" otherwise. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const today = new Date().toDateString() === d.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return today ? time : `${d.toLocaleDateString(undefined, { day: "numeric", month: "short" })} ${time}`;
}

/** "in 3 h", "5 min ago": a due date at a glance. */
export function relativeTime(iso: string | undefined, now = Date.now()): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const diff = t - now;
  const abs = Math.abs(diff);
  const unit = abs < 3_600_000 ? [60_000, "min"] : abs < 86_400_000 ? [3_600_000, "h"] : [86_400_000, "d"];
  const n = Math.max(1, Math.round(abs / (unit[0] as number)));
  return diff >= 0 ? `in ${n} ${unit[1]}` : `${n} ${unit[1]} ago`;
}
