// Modal dialogs (ask for a name, pick a saved pedalboard) and transient notices (toasts).

import { h, s } from "./dom.js";

function modal(...content) {
  const dialog = h("dialog", { class: "modal", "data-testid": "dialog" }, ...content);
  document.body.append(dialog);
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
  return dialog;
}

/**
 * Ask for a name; resolves to the trimmed text, or null when cancelled. A blank name is refused in
 * the dialog with a message (it stays open).
 */
export function askName(title, initial = "", okLabel = "OK") {
  return new Promise((resolve) => {
    const input = h("input", { type: "text", value: initial, "data-testid": "dialog-input", required: true,
      maxlength: 100, "aria-label": title });
    const error = h("p", { class: "dialog-error", "data-testid": "dialog-error", role: "alert", hidden: true });
    let result = null;
    const form = h("form", { method: "dialog", novalidate: true, onsubmit: (ev) => {
      const name = input.value.trim();
      if (!name) {
        ev.preventDefault();
        error.textContent = "Enter a name (not only spaces).";
        error.hidden = false;
        input.focus();
        return;
      }
      result = name;
    } },
    h("h2", {}, title), input, error,
    h("div", { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary", "data-testid": "dialog-ok" }, okLabel)));
    const dialog = modal(form);
    dialog.addEventListener("close", () => resolve(result));
    input.select();
  });
}

/**
 * Ask a question with a few answers: `choices` is [{key, label, primary?, danger?}]. Resolves to the
 * chosen key, or "cancel" when the dialog is dismissed (Esc).
 */
export function ask(title, text, choices) {
  return new Promise((resolve) => {
    let result = "cancel";
    const buttons = choices.map((c) => h("button", {
      type: "button", class: [c.primary ? "primary" : "", c.danger ? "danger" : ""].join(" ").trim(),
      "data-testid": `choice-${c.key}`, onclick: () => { result = c.key; dialog.close(); },
    }, c.label));
    const dialog = modal(h("h2", {}, title), h("p", { class: "dialog-text" }, text),
      h("div", { class: "dialog-buttons" }, ...buttons));
    dialog.addEventListener("close", () => resolve(result));
  });
}

/**
 * List saved pedalboards. actions: {open(id), remove(id) → Promise}. `boards` is
 * [{id, name, modified_at, plugins}]; `currentId` is marked.
 */
export function showBoards(boards, currentId, actions) {
  const rows = h("ul", { class: "board-list" });
  const filter = h("input", { type: "search", placeholder: "Search boards…", "data-testid": "board-search",
    "aria-label": "Search pedalboards", oninput: () => {
      const q = filter.value.trim().toLowerCase();
      for (const row of rows.querySelectorAll("[data-testid=board-item]")) {
        row.hidden = Boolean(q) && !row.dataset.name.toLowerCase().includes(q);
      }
    } });
  const dialog = modal(
    h("h2", {}, "Pedalboards"), filter, rows,
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
      if (await actions.remove(b.id)) row.remove(); // refused (e.g. the current board): it stays listed
      else {
        del.dataset.confirm = "";
        del.textContent = "Delete";
      }
    });
    const when = b.modified_at ? new Date(b.modified_at).toLocaleString() : "";
    const row = h("li", { class: `board-item${b.id === currentId ? " current" : ""}`, "data-testid": "board-item",
      "data-id": b.id, "data-name": b.name },
    h("button", { class: "board-open", onclick: () => { dialog.close(); actions.open(b.id); } },
      thumbnail(b),
      h("span", { class: "board-text" },
        h("strong", {}, b.name), h("small", {}, `${b.plugins ?? 0} plugins${when ? ` · ${when}` : ""}`))),
    del);
    rows.append(row);
  }
  return dialog;
}

/** A small drawing of a board's layout: its blocks as boxes, its cables as lines (from `b.layout`). */
function thumbnail(b) {
  const svg = s("svg", { class: "board-thumb", "data-testid": "board-thumb", viewBox: "0 0 120 60",
    width: 120, height: 60, "aria-hidden": "true" });
  const blocks = b.layout?.blocks || [];
  if (!blocks.length) return svg;
  const xs = blocks.map((p) => p.x);
  const ys = blocks.map((p) => p.y);
  const minX = Math.min(...xs);
  const minY = Math.min(...ys);
  const w = Math.max(...xs) - minX + 210;
  const hgt = Math.max(...ys) - minY + 120;
  const k = Math.min(110 / w, 50 / hgt);
  const at = (p) => ({ x: 5 + (p.x - minX) * k, y: 5 + (p.y - minY) * k });
  const byId = new Map(blocks.map((p) => [p.id, p]));
  for (const [a, z] of b.layout.cables || []) {
    const pa = byId.get(a);
    const pz = byId.get(z);
    if (!pa || !pz) continue;
    const p = at(pa);
    const q = at(pz);
    svg.append(s("line", { class: "thumb-cable", x1: p.x + 210 * k, y1: p.y + 30 * k, x2: q.x, y2: q.y + 30 * k }));
  }
  for (const p of blocks) {
    const q = at(p);
    svg.append(s("rect", { class: `thumb-block cat-${p.category || "other"}`, x: q.x, y: q.y,
      width: 210 * k, height: 70 * k, rx: 2 }));
  }
  return svg;
}

/**
 * Show a short message at the bottom of the page for a few seconds. `action` ({label, run}, or a
 * list of them) adds buttons (e.g. "Undo") that run it and dismiss the message.
 */
export function toast(message, kind = "error", action = null) {
  let box = document.querySelector(".toasts");
  if (!box) {
    box = h("div", { class: "toasts", "aria-live": "polite" });
    document.body.append(box);
  }
  for (const shown of box.children) if (shown.textContent === message) return; // no repeats of one problem
  const item = h("div", { class: `toast ${kind}`, "data-testid": "toast", role: "status" }, message);
  const actions = action ? [action].flat() : [];
  for (const a of actions) {
    item.append(h("button", { class: "toast-action", "data-testid": "toast-action", onclick: () => {
      item.remove();
      a.run();
    } }, a.label));
  }
  box.append(item);
  setTimeout(() => item.remove(), action ? 8000 : kind === "error" ? 6000 : 2500);
}
