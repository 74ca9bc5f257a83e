/** Short messages at the bottom of the screen: saved, failed, copied… */
import { useCallback } from "react";
import { createStore, useSlice } from "../lib/store.ts";

/** One message. */
export interface Toast {
  id: number;
  text: string;
  tone: "info" | "success" | "error";
}

const toasts = createStore<Toast[]>([]);
let nextId = 1;

/** Shows a message for a few seconds (errors stay longer). */
export function toast(text: string, tone: Toast["tone"] = "info"): void {
  const id = nextId++;
  toasts.set((list) => [...list.slice(-3), { id, text, tone }]);
  setTimeout(() => toasts.set((list) => list.filter((t) => t.id !== id)), tone === "error" ? 8000 : 3000);
}

const all = (list: Toast[]) => list;

/** Where the messages appear. */
export function Toasts() {
  const list = useSlice(toasts, all);
  const dismiss = useCallback((id: number) => toasts.set((l) => l.filter((t) => t.id !== id)), []);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`}>
          <span>{t.text}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
