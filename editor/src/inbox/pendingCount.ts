/** How many approvals wait, for the badge on the Inbox link: read on load and every 15 s while a page shows it. */
import { useEffect } from "react";
import { api } from "../api/client.ts";
import type { Approval } from "../api/types.ts";
import { createStore, useSlice } from "../lib/store.ts";

const POLL_MS = 15_000;
const count = createStore<number | undefined>(undefined);
let watchers = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** Reads the number of pending approvals now. */
export async function refreshPendingCount(): Promise<void> {
  try {
    const { items } = await api<{ items: Approval[] }>("GET", "approvals?status=pending&limit=100");
    count.set(items.length);
  } catch {
    // the badge is a hint: when the count cannot be read, show none
    count.set(undefined);
  }
}

/** Sets the count after a decision made here (no need to ask the server). */
export function setPendingCount(n: number): void {
  count.set(n);
}

const same = (n: number | undefined) => n;

/** The number of pending approvals (undefined until known). */
export function usePendingCount(): number | undefined {
  useEffect(() => {
    if (watchers++ === 0) {
      void refreshPendingCount();
      timer = setInterval(() => document.visibilityState === "visible" && void refreshPendingCount(), POLL_MS);
    }
    return () => {
      if (--watchers === 0) clearInterval(timer);
    };
  }, []);
  return useSlice(count, same);
}
