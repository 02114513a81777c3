// The plugin catalog panel: search and category filter; add a plugin by click or by dragging it onto the board.

import { h, clear } from "./dom.js";
import { api, query } from "./api.js";

const SHOW_MAX = 400; // list at most this many matches; the search narrows the rest
const DRAG_SLOP = 6;

function ioSummary(p) {
  const parts = [];
  if (p.audio_inputs || p.audio_outputs) parts.push(`audio ${p.audio_inputs}→${p.audio_outputs}`);
  if (p.midi_inputs || p.midi_outputs) parts.push(`midi ${p.midi_inputs}→${p.midi_outputs}`);
  if (p.cv_inputs || p.cv_outputs) parts.push(`cv ${p.cv_inputs}→${p.cv_outputs}`);
  return parts.join(" · ") || "no signal ports";
}

/**
 * actions: {add(uri, clientPoint | null)} — clientPoint is the drop point when dragged onto the board.
 * `dropTarget()` returns the element that accepts drops (the board SVG).
 */
export class PluginBrowser {
  constructor(root, actions, dropTarget) {
    this.root = root;
    this.actions = actions;
    this.dropTarget = dropTarget;
    this.timer = 0;
    this.requestNo = 0;
    this.categories = new Map(); // uri → first category, for the colour of a block
    this.onCategories = () => {};
    this.search = h("input", { type: "search", placeholder: "Search plugins…", "data-testid": "plugin-search",
      "aria-label": "Search plugins", oninput: () => this.refreshSoon() });
    this.category = h("select", { "data-testid": "plugin-category", "aria-label": "Category",
      onchange: () => this.refresh() }, h("option", { value: "" }, "All categories"));
    this.count = h("div", { class: "muted count" });
    this.list = h("ul", { class: "plugin-list", "data-testid": "plugin-list" });
    root.append(h("div", { class: "browser-head" }, this.search, this.category, this.count), this.list);
  }

  async start() {
    this.refresh();
    try {
      const categories = await api.get("/api/plugins/categories");
      for (const c of categories) this.category.append(h("option", { value: c }, c));
    } catch {
      // the list still works without the filter
    }
  }

  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 180);
  }

  async refresh() {
    const no = ++this.requestNo;
    let plugins;
    try {
      plugins = await api.get(`/api/plugins${query({ q: this.search.value.trim(), category: this.category.value })}`);
    } catch (err) {
      if (no === this.requestNo) this.count.textContent = `Catalog unavailable: ${err.message}`;
      return;
    }
    if (no !== this.requestNo) return; // a newer search is on its way
    const before = this.categories.size;
    for (const p of plugins) if (p.family || p.category?.length) this.categories.set(p.uri, p.family || p.category[0]);
    if (this.categories.size !== before) this.onCategories();
    if (!this.search.value.trim()) plugins.sort((a, b) => a.name.localeCompare(b.name)); // else: best match first
    clear(this.list);
    for (const p of plugins.slice(0, SHOW_MAX)) this.list.append(this.item(p));
    this.count.textContent = plugins.length > SHOW_MAX
      ? `${plugins.length} plugins (first ${SHOW_MAX} shown — refine the search)` : `${plugins.length} plugins`;
  }

  item(p) {
    const li = h("li", { class: "plugin-item", "data-testid": "plugin-item", "data-uri": p.uri, tabindex: "0",
      title: `${p.name}\n${p.uri}\nClick to add, or drag onto the board`,
      onkeydown: (ev) => ev.key === "Enter" && this.actions.add(p.uri, null) },
    h("span", { class: "plugin-name" }, p.name),
    h("span", { class: "plugin-meta" }, [p.brand, p.family || (p.category || [])[0]].filter(Boolean).join(" · ")),
    h("span", { class: "plugin-io" }, ioSummary(p)));
    li.addEventListener("pointerdown", (ev) => this.onDown(ev, p, li));
    return li;
  }

  /** Press on an item: a click adds it; a drag carries a ghost that adds it where it is dropped. */
  onDown(ev, p, li) {
    if (ev.button > 0) return;
    const start = { x: ev.clientX, y: ev.clientY };
    let ghost = null;
    li.setPointerCapture(ev.pointerId);
    const move = (e) => {
      if (!ghost) {
        if (Math.hypot(e.clientX - start.x, e.clientY - start.y) < DRAG_SLOP) return;
        ghost = h("div", { class: "drag-ghost" }, p.name);
        document.body.append(ghost);
        document.body.classList.add("dragging-plugin");
      }
      ghost.style.transform = `translate(${e.clientX + 8}px, ${e.clientY + 8}px)`;
    };
    const up = (e) => {
      li.removeEventListener("pointermove", move);
      li.removeEventListener("pointerup", up);
      li.removeEventListener("pointercancel", cancel);
      if (!ghost) return this.actions.add(p.uri, null);
      ghost.remove();
      document.body.classList.remove("dragging-plugin");
      const target = this.dropTarget();
      const under = document.elementFromPoint(e.clientX, e.clientY);
      if (target && under && target.contains(under)) this.actions.add(p.uri, { x: e.clientX, y: e.clientY });
    };
    const cancel = () => {
      ghost?.remove();
      document.body.classList.remove("dragging-plugin");
      li.removeEventListener("pointermove", move);
      li.removeEventListener("pointerup", up);
      li.removeEventListener("pointercancel", cancel);
    };
    li.addEventListener("pointermove", move);
    li.addEventListener("pointerup", up);
    li.addEventListener("pointercancel", cancel);
  }
}
