// The control panel of one plugin block: parameters (knobs, toggles, selects, numeric entry), bypass, presets, remove.

import { h, clear, formatValue } from "./dom.js";
import { Knob, toNorm } from "./knob.js";
import { isSwitchPort, mainControls, toggledKnobs } from "./layout.js";
import { ask, askName, toast } from "./dialogs.js";

/** A step of about 1/100 of the range, rounded to 1, 2 or 5 × a power of ten (arrow keys in a value box). */
export function niceStep(port) {
  if (port.integer || port.enumeration) return 1;
  const span = (port.maximum ?? 1) - (port.minimum ?? 0);
  if (!(span > 0)) return 0.01;
  const raw = span / 100;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return Number(((m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p).toPrecision(3));
}

const HIDDEN_DESIGNATIONS = new Set(["freewheeling", "enabled", "sampleRate", "latency"]);

/**
 * actions: {setParameter(id, symbol, value), bypass(id, bypassed), loadPreset(id, uri), remove(id),
 * presets(uri) → Promise<[{uri, label}]>, info(uri) → Promise<PluginInfo>, close()}.
 */
export class ControlPanel {
  constructor(root, store, actions) {
    this.root = root;
    this.store = store;
    this.actions = actions;
    this.id = null;
    this.rows = new Map(); // symbol → {port, knob?, input}
    this.meters = new Map(); // symbol → {bar, text, port}
  }

  get isOpen() {
    return this.id !== null;
  }

  open(id) {
    const inst = this.store.plugin(id);
    if (!inst) return;
    this.id = id;
    this.render(inst);
    this.root.hidden = false;
    this.root.classList.add("open");
    this.actions.shown?.(id);
  }

  close() {
    if (this.id === null) return;
    this.id = null;
    this.root.classList.remove("open");
    this.root.hidden = true;
    clear(this.root);
    this.actions.close?.();
  }

  /** Follow a store change: close when our plugin is gone, otherwise refresh values. */
  update(detail) {
    if (this.id === null) return;
    const inst = this.store.plugin(this.id);
    if (!inst) return this.close();
    if (detail.kind === "state") return this.render(inst);
    if (detail.id && detail.id !== this.id) return;
    if (detail.kind === "output") return this.updateMeters(inst);
    if (detail.kind === "knobs") return this.updatePins(inst);
    this.updateValues(inst);
  }

  /** Mark the controls the block shows (their pins), after any client changed the choice. */
  updatePins(inst) {
    const shown = new Set(mainControls(inst).map((p) => p.symbol));
    for (const pin of this.root.querySelectorAll("[data-testid=pin-knob]")) {
      const on = shown.has(pin.dataset.symbol);
      pin.classList.toggle("on", on);
      pin.setAttribute("aria-pressed", String(on));
      pin.title = on ? "Shown on the block — click to remove it" : "Show this knob on the block";
    }
  }

  controlPorts(inst) {
    return Object.values(inst.available_parameters || {})
      .filter((p) => p.direction !== "output" && !HIDDEN_DESIGNATIONS.has(p.designation) && !isSwitchPort(p))
      .sort((a, b) => a.index - b.index);
  }

  outputPorts(inst) {
    const meta = inst.available_parameters || {};
    const symbols = new Set(Object.keys(inst.outputs || {}));
    for (const p of Object.values(meta)) if (p.direction === "output") symbols.add(p.symbol);
    return [...symbols].map((sym) => meta[sym] || { symbol: sym, name: sym })
      .sort((a, b) => (a.index ?? 999) - (b.index ?? 999));
  }

  render(inst) {
    clear(this.root);
    this.rows.clear();
    this.meters.clear();
    this.root.dataset.instanceId = inst.instance_id;
    const bypassed = inst.enabled === false;
    this.bypassButton = h("button", {
      class: `bypass-switch${bypassed ? " off" : ""}`, "data-testid": "bypass", "aria-pressed": String(bypassed),
      onclick: () => this.actions.bypass(inst.instance_id, this.store.plugin(inst.instance_id)?.enabled !== false),
    }, bypassed ? "Bypassed" : "On");
    this.presetSelect = h("select", { "data-testid": "preset-select", "aria-label": "Preset",
      onchange: (ev) => {
        this.markUserPreset();
        if (ev.target.value) this.actions.loadPreset(inst.instance_id, ev.target.value);
      } },
    h("option", { value: "" }, "Presets…"));
    this.deletePresetButton = h("button", { class: "danger", "data-testid": "delete-preset", hidden: true,
      title: "Delete this preset of yours", onclick: () => this.deletePreset(inst) }, "Delete preset");
    this.loadPresets(inst);

    const params = h("div", { class: "params" });
    for (const port of this.controlPorts(inst)) params.append(this.paramRow(inst, port));
    const outputs = this.outputPorts(inst);
    const monitors = h("div", { class: "monitors" });
    for (const port of outputs) monitors.append(this.meterRow(inst, port));

    const parts = [
      h("header", { class: "panel-head" },
        h("div", { class: "panel-title" }, h("strong", {}, inst.name), h("small", {}, inst.brand || inst.uri)),
        h("button", { class: "icon", "data-testid": "panel-close", title: "Close (Esc)", onclick: () => this.close() }, "✕")),
      h("div", { class: "panel-tools" },
        this.bypassButton,
        this.presetSelect,
        h("button", { "data-testid": "save-preset", title: "Save the current values as a preset of this plugin",
          onclick: () => this.savePreset(inst) }, "Save preset…"),
        this.deletePresetButton,
        h("button", { class: "danger", "data-testid": "remove-plugin",
          onclick: () => this.actions.remove(inst.instance_id) }, "Remove")),
      this.description = h("p", { class: "plugin-desc", "data-testid": "plugin-description", hidden: true }),
      params.childElementCount ? params : h("p", { class: "muted" }, "No controls."),
      outputs.length ? h("h3", {}, "Monitors") : null,
      outputs.length ? monitors : null,
    ];
    this.root.append(...parts.filter(Boolean));
    this.loadOutputInfo(inst);
  }

  /** The catalog entry: the plugin's description, and names/ranges of monitored outputs. */
  async loadOutputInfo(inst) {
    let info;
    try {
      info = await this.actions.info(inst.uri);
    } catch {
      return;
    }
    if (this.id !== inst.instance_id) return;
    if (info.description) {
      this.description.textContent = info.description;
      this.description.hidden = false;
    }
    for (const port of info.ports || []) {
      const meter = this.meters.get(port.symbol);
      if (!meter || port.type !== "control" || port.direction !== "output") continue;
      meter.port = port;
      meter.name.textContent = port.name;
      if (port.units) meter.units.textContent = port.units;
    }
    this.updateMeters(this.store.plugin(inst.instance_id) || inst);
  }

  async savePreset(inst) {
    const label = await askName(`Save a preset of ${inst.name}`, "", "Save");
    if (!label) return;
    const saved = await this.actions.savePreset(inst.instance_id, label);
    if (saved === undefined) return;
    toast(`Saved preset “${label}”`, "info");
    if (this.id === inst.instance_id) await this.loadPresets(this.store.plugin(inst.instance_id) || inst, saved.uri);
  }

  /** Delete the user preset chosen in the list (after a confirmation), then list the rest. */
  async deletePreset(inst) {
    const option = this.presetSelect.selectedOptions[0];
    if (!option?.dataset.user) return;
    const label = option.textContent;
    const answer = await ask(`Delete the preset “${label}”?`, `${inst.name} keeps its current values.`,
      [{ key: "cancel", label: "Cancel" }, { key: "delete", label: "Delete", danger: true, primary: true }]);
    if (answer !== "delete") return;
    if (await this.actions.deletePreset(option.value) === undefined) return;
    toast(`Deleted preset “${label}”`, "info");
    if (this.id === inst.instance_id) await this.loadPresets(this.store.plugin(inst.instance_id) || inst, "");
  }

  /** List the factory presets, then the user's own (a group of their own, deletable). */
  async loadPresets(inst, selected = inst.preset || "") {
    let presets = [];
    try {
      presets = await this.actions.presets(inst.uri);
    } catch {
      return;
    }
    if (this.id !== inst.instance_id) return;
    const option = (p) => h("option", { value: p.uri, "data-user": p.user ? "1" : null }, p.label);
    const factory = presets.filter((p) => !p.user);
    const mine = presets.filter((p) => p.user);
    clear(this.presetSelect).append(h("option", { value: "" }, "Presets…"), ...factory.map(option));
    if (mine.length) this.presetSelect.append(h("optgroup", { label: "My presets" }, ...mine.map(option)));
    this.presetSelect.value = selected;
    if (this.presetSelect.value !== selected) this.presetSelect.value = "";
    this.presetSelect.disabled = presets.length === 0;
    this.markUserPreset();
  }

  /** The delete button shows while one of the user's own presets is chosen. */
  markUserPreset() {
    this.deletePresetButton.hidden = !this.presetSelect.selectedOptions[0]?.dataset.user;
  }

  paramRow(inst, port) {
    const id = inst.instance_id;
    const value = inst.parameters?.[port.symbol] ?? port.default ?? port.minimum ?? 0;
    const send = (v) => this.actions.setParameter(id, port.symbol, v);
    const row = { port };
    const common = { "data-testid": "param-input", "data-symbol": port.symbol, "aria-label": port.name };
    let widget;
    if (port.toggled) {
      row.input = h("input", { ...common, type: "checkbox", class: "switch",
        onchange: (ev) => send(ev.target.checked ? port.maximum ?? 1 : port.minimum ?? 0) });
      widget = row.input;
    } else if (port.scale_points?.length && (port.enumeration || port.integer)) {
      row.input = h("select", { ...common, onchange: (ev) => send(Number(ev.target.value)) },
        port.scale_points.map((sp) => h("option", { value: sp.value }, sp.label)));
      widget = row.input;
    } else {
      row.knob = new Knob(port, value, (v) => {
        if (document.activeElement !== row.input) row.input.value = formatValue(v, port.integer);
        send(v);
      }, { begin: () => this.actions.gesture?.(true), end: () => this.actions.gesture?.(false) });
      const revert = () => {
        row.input.value = formatValue(this.store.plugin(id)?.parameters?.[port.symbol] ?? value, port.integer);
      };
      row.input = h("input", { ...common, type: "number", class: "num", step: niceStep(port),
        min: port.minimum ?? undefined, max: port.maximum ?? undefined,
        onchange: (ev) => {
          const text = ev.target.value.trim();
          const v = Number(text);
          if (!text || !Number.isFinite(v)) return revert(); // an empty box is not 0: keep the value
          const clamped = Math.min(port.maximum ?? v, Math.max(port.minimum ?? v, port.integer ? Math.round(v) : v));
          row.knob.set(clamped);
          send(clamped);
        },
        onblur: (ev) => !ev.target.value.trim() && revert(),
        onkeydown: (ev) => {
          if (ev.key === "Enter") ev.target.blur();
          if (ev.key === "Escape") {
            ev.stopPropagation(); // Esc reverts the box; it does not close the panel
            ev.preventDefault();
            revert();
            ev.target.dataset.reverted = "1";
            ev.target.blur();
          }
        } });
      widget = h("div", { class: "knob-wrap" }, row.knob.el,
        h("label", { class: "num-wrap" }, row.input, port.units ? h("span", { class: "units" }, port.units) : null));
    }
    this.rows.set(port.symbol, row);
    this.showValue(row, value);
    const onBlock = mainControls(inst).some((p) => p.symbol === port.symbol);
    const pin = row.knob ? h("button", { class: `pin${onBlock ? " on" : ""}`, "data-testid": "pin-knob",
      "data-symbol": port.symbol, title: onBlock ? "Shown on the block — click to remove it" : "Show this knob on the block",
      "aria-pressed": String(onBlock),
      onclick: () => this.actions.setKnobs(id, toggledKnobs(this.store.plugin(id) || inst, port.symbol)) }, "◉") : null;
    return h("div", { class: `param${row.knob ? "" : " compact"}`, "data-symbol": port.symbol },
      h("span", { class: "param-name", title: port.name }, pin, port.name),
      widget,
      !row.knob && port.units ? h("span", { class: "units" }, port.units) : null);
  }

  showValue(row, value) {
    const { port, knob, input } = row;
    if (knob) knob.set(value);
    if (document.activeElement === input) return;
    if (input.type === "checkbox") input.checked = value > ((port.minimum ?? 0) + (port.maximum ?? 1)) / 2;
    else if (input.tagName === "SELECT") {
      const match = (port.scale_points || []).reduce((best, sp) =>
        (best === null || Math.abs(sp.value - value) < Math.abs(best.value - value) ? sp : best), null);
      input.value = match ? String(match.value) : "";
    } else input.value = formatValue(value, port.integer);
  }

  updateValues(inst) {
    for (const [symbol, row] of this.rows) {
      const v = inst.parameters?.[symbol];
      if (v !== undefined) this.showValue(row, v);
    }
    const bypassed = inst.enabled === false;
    this.bypassButton.textContent = bypassed ? "Bypassed" : "On";
    this.bypassButton.classList.toggle("off", bypassed);
    this.bypassButton.setAttribute("aria-pressed", String(bypassed));
    if (this.presetSelect && inst.preset) {
      this.presetSelect.value = inst.preset;
      this.markUserPreset();
    }
    this.updateMeters(inst);
  }

  meterRow(inst, port) {
    const bar = h("div", { class: "meter-bar" });
    const text = h("span", { class: "meter-value" });
    const name = h("span", { class: "param-name" }, port.name);
    const units = h("span", { class: "units" }, port.units || "");
    this.meters.set(port.symbol, { bar, text, port, name, units });
    const row = h("div", { class: "meter", "data-testid": "output", "data-symbol": port.symbol },
      name, h("div", { class: "meter-track" }, bar), text, units);
    this.showMeter(this.meters.get(port.symbol), inst.outputs?.[port.symbol]);
    return row;
  }

  showMeter(meter, value) {
    if (value === undefined) {
      meter.text.textContent = "–";
      meter.bar.style.width = "0%";
      return;
    }
    meter.text.textContent = formatValue(value, meter.port.integer);
    const n = meter.port.minimum != null && meter.port.maximum != null ? toNorm(meter.port, value) : 0;
    meter.bar.style.width = `${Math.round(n * 100)}%`;
  }

  updateMeters(inst) {
    for (const [symbol, meter] of this.meters) this.showMeter(meter, inst.outputs?.[symbol]);
  }
}
