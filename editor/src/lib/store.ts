/**
 * A tiny external store: components read a slice with `useSlice`, and re-render only when
 * that slice changes. Run status and validation problems live here, outside the flow document,
 * so a run event repaints one node rather than the whole canvas.
 */
import { useCallback, useSyncExternalStore } from "react";

/** A value that can be read, replaced and watched. */
export interface Store<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  subscribe(listener: () => void): () => void;
}

/** Creates a store holding `initial`. */
export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      const v = typeof next === "function" ? (next as (prev: T) => T)(value) : next;
      if (Object.is(v, value)) return;
      value = v;
      for (const l of [...listeners]) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Reads a slice of a store; the selector must return a stable value for an unchanged store. */
export function useSlice<T, S>(store: Store<T>, select: (value: T) => S): S {
  const get = useCallback(() => select(store.get()), [store, select]);
  return useSyncExternalStore(store.subscribe, get, get);
}
