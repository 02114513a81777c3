// The keyboard shortcuts, listed in a dialog (press ?) and in the README.

import { h } from "./dom.js";

export const SHORTCUTS = [
  ["Ctrl+Z", "undo your last change"],
  ["Ctrl+Shift+Z / Ctrl+Y", "redo"],
  ["Ctrl+S", "save the board"],
  ["Tab / arrows", "focus and select blocks (arrows move the selection)"],
  ["Enter", "open the selected block's controls"],
  ["Enter on a port, then on another", "draw a cable between them"],
  ["B", "bypass / enable the selected block"],
  ["Delete / Backspace", "remove the selected block or cable"],
  ["Esc", "close the panel / drawer, clear the selection (in a value box: revert it)"],
  ["?", "this list"],
];

export function showShortcuts() {
  if (document.querySelector("[data-testid=shortcuts]")) return;
  const dialog = h("dialog", { class: "modal", "data-testid": "shortcuts" },
    h("h2", {}, "Keyboard shortcuts"),
    h("table", { class: "shortcuts" }, SHORTCUTS.map(([k, what]) => h("tr", {}, h("th", {}, h("kbd", {}, k)), h("td", {}, what)))),
    h("div", { class: "dialog-buttons" }, h("button", { class: "primary", onclick: () => dialog.close() }, "Close")));
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
}
