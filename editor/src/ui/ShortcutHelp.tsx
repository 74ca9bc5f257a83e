/** The keyboard shortcut panel (press ?). */
import { useEffect, useRef } from "react";

/** Every shortcut of the editor, in the order shown. */
export const SHORTCUTS: Array<[string, string]> = [
  ["Ctrl + S", "Save the flow"],
  ["Ctrl + Enter", "Run the flow (saves first)"],
  ["Ctrl + Z", "Undo"],
  ["Ctrl + Shift + Z / Ctrl + Y", "Redo"],
  ["Ctrl + C / Ctrl + X", "Copy / cut the selected nodes (as flow JSON)"],
  ["Ctrl + V", "Paste nodes (also from another flow)"],
  ["Ctrl + A", "Select every node"],
  ["Delete / Backspace", "Delete the selection"],
  ["Shift + click, Ctrl + click", "Add to the selection"],
  ["Shift + drag", "Select with a box"],
  ["Arrow keys", "Move the selected nodes"],
  ["Drag on the canvas, wheel", "Pan and zoom"],
  ["F", "Fit the flow in view"],
  ["Escape", "Clear the selection, close panels"],
  ["?", "Show or hide this panel"],
];

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    close.current?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" onClick={(e) => e.stopPropagation()}>
        <header className="modal-head">
          <h2 id="shortcuts-title">Keyboard shortcuts</h2>
          <button ref={close} type="button" className="icon-button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <table className="shortcuts">
          <tbody>
            {SHORTCUTS.map(([keys, what]) => (
              <tr key={keys}>
                <td>
                  {keys.split(" / ").map((k, i) => (
                    <span key={k}>
                      {i > 0 && " or "}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </td>
                <td>{what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted small">On macOS, Cmd works wherever Ctrl is listed.</p>
      </div>
    </div>
  );
}
