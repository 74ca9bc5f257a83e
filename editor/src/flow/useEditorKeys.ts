/**
 * The editor's keyboard: undo/redo, save, run, select all, fit view, help; and copy/cut/paste
 * through the browser's clipboard events, so the clipboard holds flow JSON that pastes into any
 * flow (and a flow copied as text from elsewhere pastes too).
 */
import { useEffect, useRef } from "react";
import { isPrimary, isTextEntry } from "../lib/keys.ts";

/** What the keys do. */
export interface EditorKeyActions {
  undo(): void;
  redo(): void;
  save(): void;
  run(): void;
  selectAll(): void;
  fitView(): void;
  toggleHelp(): void;
  escape(): void;
  /** The clipboard text for the selection, or undefined when nothing is selected. */
  copy(): string | undefined;
  deleteSelection(): void;
  paste(text: string): boolean;
}

/** True when the event's target edits the flow document (inspector fields): our undo applies there too. */
function inDocumentField(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && target.closest("[data-doc-fields]") !== null;
}

/** Whether the clipboard event belongs to the canvas (not to a text field or selected text). */
function canvasOwnsClipboard(): boolean {
  if (isTextEntry(document.activeElement)) return false;
  const selection = window.getSelection();
  return !selection || selection.isCollapsed;
}

export function useEditorKeys(actions: EditorKeyActions): void {
  const ref = useRef(actions);
  ref.current = actions;

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      const a = ref.current;
      const typing = isTextEntry(e.target);
      const key = e.key.toLowerCase();
      if (isPrimary(e) && key === "s") {
        e.preventDefault();
        return a.save();
      }
      if (isPrimary(e) && e.key === "Enter") {
        if (e.target instanceof HTMLElement && e.target.id === "run-input") return; // the run panel handles it
        e.preventDefault();
        return a.run();
      }
      if (isPrimary(e) && (key === "z" || key === "y")) {
        if (typing && !inDocumentField(e.target)) return; // the browser's own undo in other text boxes
        e.preventDefault();
        return key === "y" || e.shiftKey ? a.redo() : a.undo();
      }
      if (typing) return;
      if (isPrimary(e) && key === "a") {
        e.preventDefault();
        return a.selectAll();
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "?") {
        e.preventDefault();
        return a.toggleHelp();
      }
      if (key === "f") return a.fitView();
      if (e.key === "Escape") return a.escape();
    };

    // Enables copy/cut/paste when no text is selected, so the events below fire for the canvas.
    const enable = (e: Event) => {
      if (canvasOwnsClipboard()) e.preventDefault();
    };
    const onCopy = (e: ClipboardEvent, cut: boolean) => {
      if (!canvasOwnsClipboard()) return;
      const text = ref.current.copy();
      if (text === undefined) return;
      e.preventDefault();
      e.clipboardData?.setData("text/plain", text);
      if (cut) ref.current.deleteSelection();
    };
    const copy = (e: ClipboardEvent) => onCopy(e, false);
    const cut = (e: ClipboardEvent) => onCopy(e, true);
    const paste = (e: ClipboardEvent) => {
      if (!canvasOwnsClipboard()) return;
      const text = e.clipboardData?.getData("text/plain") ?? "";
      if (ref.current.paste(text)) e.preventDefault();
    };

    window.addEventListener("keydown", onKeyDown);
    document.addEventListener("beforecopy", enable);
    document.addEventListener("beforecut", enable);
    document.addEventListener("beforepaste", enable);
    document.addEventListener("copy", copy);
    document.addEventListener("cut", cut);
    document.addEventListener("paste", paste);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("beforecopy", enable);
      document.removeEventListener("beforecut", enable);
      document.removeEventListener("beforepaste", enable);
      document.removeEventListener("copy", copy);
      document.removeEventListener("cut", cut);
      document.removeEventListener("paste", paste);
    };
  }, []);
}
