// Modal dialogs (ask for a name, pick a saved pedalboard) and transient notices (toasts).

import { h } from "./dom.js";

function modal(...content) {
  const dialog = h("dialog", { class: "modal", "data-testid": "dialog" }, ...content);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
  return dialog;
}

/** Ask for a name; resolves to the trimmed text, or null when cancelled. */
export function askName(title, initial = "", okLabel = "OK") {
  return new Promise((resolve) => {
    const input = h("input", { type: "text", value: initial, "data-testid": "dialog-input", required: true,
      maxlength: 100, "aria-label": title });
    let result = null;
    const form = h("form", { method: "dialog", onsubmit: () => { result = input.value.trim() || null; } },
      h("h2", {}, title), input,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
        h("button", { type: "submit", class: "primary", "data-testid": "dialog-ok" }, okLabel)));
    const dialog = modal(form);
    dialog.addEventListener("close", () => resolve(result));
    input.select();
  });
}

/**
 * List saved pedalboards. actions: {open(id), remove(id) → Promise}. `boards` is
 * [{id, name, modified_at, plugins}]; `currentId` is marked.
 */
export function showBoards(boards, currentId, actions) {
  const rows = h("ul", { class: "board-list" });
  const dialog = modal(
    h("h2", {}, "Pedalboards"), rows,
    h("div", { class: "dialog-buttons" }, h("button", { onclick: () => dialog.close() }, "Close")));
  if (!boards.length) rows.append(h("li", { class: "muted" }, "No saved pedalboards yet."));
  for (const b of boards) {
    const del = h("button", { class: "danger small", "data-testid": "board-delete", title: "Delete" }, "Delete");
    del.addEventListener("click", async () => {
      if (del.dataset.confirm !== "1") {
        del.dataset.confirm = "1";
        del.textContent = "Really delete?";
        return;
      }
      await actions.remove(b.id);
      row.remove();
    });
    const when = b.modified_at ? new Date(b.modified_at).toLocaleString() : "";
    const row = h("li", { class: `board-item${b.id === currentId ? " current" : ""}`, "data-testid": "board-item",
      "data-id": b.id, "data-name": b.name },
    h("button", { class: "board-open", onclick: () => { dialog.close(); actions.open(b.id); } },
      h("strong", {}, b.name), h("small", {}, `${b.plugins ?? 0} plugins${when ? ` · ${when}` : ""}`)),
    del);
    rows.append(row);
  }
  return dialog;
}

/** Show a short message at the bottom of the page for a few seconds. */
export function toast(message, kind = "error") {
  let box = document.querySelector(".toasts");
  if (!box) {
    box = h("div", { class: "toasts", "aria-live": "polite" });
    document.body.append(box);
  }
  for (const shown of box.children) if (shown.textContent === message) return; // no repeats of one problem
  const item = h("div", { class: `toast ${kind}`, "data-testid": "toast", role: "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === "error" ? 6000 : 2500);
}
