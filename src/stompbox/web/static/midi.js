// The MIDI dialog: bindings of the board and global ones, learn ("move a control now") or type CC.

import { api } from "./api.js";
import { h, clear } from "./dom.js";

const TARGETS = [
  ["parameter", "Parameter"], ["bypass", "Bypass (footswitch)"], ["snapshot_next", "Next snapshot"],
  ["snapshot_prev", "Previous snapshot"], ["snapshot_recall", "Recall snapshot"], ["setlist_next", "Next song"],
  ["setlist_prev", "Previous song"], ["tuner", "Tuner"], ["mute", "Mute"],
];

function describe(b, store) {
  const label = TARGETS.find(([t]) => t === b.target)?.[1] || b.target;
  const plugin = b.instance_id ? store.plugin(b.instance_id)?.name || b.instance_id : "";
  const what = b.target === "parameter" ? `${plugin} · ${b.symbol}` : b.target === "bypass" ? `${plugin} bypass`
    : b.target === "snapshot_recall" ? `${label} ${b.snapshot + 1}` : label;
  const control = b.kind === "bend" ? "pitch bend" : `${b.kind === "note" ? "note" : "CC"} ${b.number}`;
  const src = `${control} · ch ${b.channel + 1}`
    + (b.minimum != null || b.maximum != null ? ` · ${b.minimum ?? "min"}…${b.maximum ?? "max"}` : "");
  return `${what} ← ${src}${b.invert ? " · inverted" : ""}${b.mode === "momentary" ? " · momentary" : ""}`;
}

/** A <dialog> over the page; `onEvent(msg)` keeps it in sync while open. */
export class MidiDialog {
  constructor(store, call) {
    this.store = store;
    this.call = call;
    this.dialog = null;
    this.state = { board: [], global: [], learning: null };
  }

  async open() {
    if (this.dialog) return;
    const form = this.buildForm();
    this.list = h("ul", { class: "midi-list", "data-testid": "midi-list" });
    this.status = h("p", { class: "midi-status muted", "data-testid": "midi-status" }, "");
    this.dialog = h("dialog", { class: "modal midi-dialog", "data-testid": "midi-dialog" },
      h("h2", {}, "MIDI"), this.list, form, this.status,
      h("div", { class: "dialog-buttons" },
        h("button", { "data-testid": "midi-close", onclick: () => this.dialog.close() }, "Close")));
    document.body.append(this.dialog);
    this.dialog.addEventListener("close", () => {
      if (this.state.learning) this.call(api.del("/api/midi/learn"));
      this.dialog.remove();
      this.dialog = null;
    });
    this.dialog.showModal();
    const state = await this.call(api.get("/api/midi/bindings"));
    if (state) this.show(state);
  }

  buildForm() {
    const select = (testid, options, onchange) => h("select", { "data-testid": testid, onchange },
      ...options.map(([v, l]) => h("option", { value: v }, l)));
    this.target = select("midi-target", TARGETS, () => this.syncForm());
    this.plugin = select("midi-plugin", [], () => this.syncForm());
    this.symbol = select("midi-symbol", []);
    const num = (testid, min, max, value) => h("input", { type: "number", min, max, value, "data-testid": testid, class: "midi-num" });
    this.channel = num("midi-channel", 1, 16, 1);
    this.number = num("midi-number", 0, 127, 0);
    this.snapshot = num("midi-snapshot", 1, 16, 1);
    const range = (testid, label) => h("input", { type: "number", step: "any", placeholder: label,
      "data-testid": testid, class: "midi-num", "aria-label": `range ${label}` });
    this.minimum = range("midi-minimum", "min");
    this.maximum = range("midi-maximum", "max");
    this.invert = h("input", { type: "checkbox", "data-testid": "midi-invert" });
    this.momentary = h("input", { type: "checkbox", "data-testid": "midi-momentary" });
    const form = h("div", { class: "midi-form" },
      h("div", { class: "midi-row" }, this.target, this.plugin, this.symbol),
      h("div", { class: "midi-row" },
        h("label", {}, "ch ", this.channel), h("label", {}, "CC ", this.number),
        h("label", { class: "midi-snap" }, "snapshot ", this.snapshot),
        h("label", { class: "midi-range" }, "range ", this.minimum, " – ", this.maximum),
        h("label", {}, this.invert, " invert"), h("label", {}, this.momentary, " momentary")),
      h("div", { class: "midi-row" },
        h("button", { class: "primary", "data-testid": "midi-learn", onclick: () => this.learn() }, "Learn"),
        h("button", { "data-testid": "midi-add", onclick: () => this.add() }, "Add with this CC")));
    this.syncForm();
    return form;
  }

  syncForm() {
    const target = this.target.value;
    const board = this.store.board;
    const keep = this.plugin.value;
    clear(this.plugin);
    for (const p of board.plugins) this.plugin.append(h("option", { value: p.instance_id }, p.name));
    if (keep) this.plugin.value = keep;
    const plugin = this.store.plugin(this.plugin.value);
    const keepSym = this.symbol.value;
    clear(this.symbol);
    for (const [sym, port] of Object.entries(plugin?.available_parameters || {})) {
      this.symbol.append(h("option", { value: sym }, port.name || sym));
    }
    if (keepSym) this.symbol.value = keepSym;
    this.plugin.hidden = !["parameter", "bypass"].includes(target);
    this.symbol.hidden = target !== "parameter";
    if (this.snapshot.parentElement) this.snapshot.parentElement.hidden = target !== "snapshot_recall";
    if (this.minimum.parentElement) this.minimum.parentElement.hidden = target !== "parameter";
  }

  template() {
    const target = this.target.value;
    const b = { target, channel: Math.max(0, Number(this.channel.value) - 1), number: Number(this.number.value) || 0,
      invert: this.invert.checked, mode: this.momentary.checked ? "momentary" : "toggle" };
    if (["parameter", "bypass"].includes(target)) b.instance_id = this.plugin.value;
    if (target === "parameter") {
      b.symbol = this.symbol.value;
      if (this.minimum.value !== "") b.minimum = Number(this.minimum.value);
      if (this.maximum.value !== "") b.maximum = Number(this.maximum.value);
    }
    if (target === "snapshot_recall") b.snapshot = Math.max(0, Number(this.snapshot.value) - 1);
    if (["setlist_next", "setlist_prev", "tuner", "mute"].includes(target)) b.scope = "global";
    return b;
  }

  async learn() {
    const state = await this.call(api.post("/api/midi/learn", { binding: this.template() }));
    if (state) this.show(state);
  }

  async add() {
    await this.call(api.post("/api/midi/bindings", this.template()));
  }

  show(state) {
    this.state = state;
    if (!this.dialog) return;
    clear(this.list);
    const all = [...(state.board || []), ...(state.global || [])];
    if (!all.length) this.list.append(h("li", { class: "muted" }, "No MIDI bindings yet."));
    for (const b of all) {
      this.list.append(h("li", { "data-testid": "midi-binding", "data-id": b.id, "data-number": b.number },
        h("span", {}, describe(b, this.store)),
        h("span", { class: "muted" }, b.scope === "global" ? " (global)" : ""),
        h("button", { class: "small danger", "data-testid": "midi-delete",
          onclick: () => this.call(api.del(`/api/midi/bindings/${encodeURIComponent(b.id)}`)) }, "Delete")));
    }
    this.status.textContent = state.learning ? "Move a control on your MIDI device now…" : "";
    this.status.dataset.learning = String(Boolean(state.learning));
  }

  onEvent(msg) {
    if (msg.event === "midi_bindings_changed") this.show(msg.data || {});
  }
}
