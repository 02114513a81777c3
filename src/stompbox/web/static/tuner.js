// The tuner widget: note name, cents and a needle, start/stop, mute-while-tuning, reference pitch.

import { h } from "./dom.js";

const NEEDLE_DEG = 45; // ±50 cents → ±45°

/** A tuner face bound to the session's tuner (readings arrive as `tuner` events via `show`). */
export class TunerView {
  /** actions: {start({mute, reference}), stop()}. */
  constructor(actions, { compact = false } = {}) {
    this.actions = actions;
    this.reading = { active: false };
    this.note = h("div", { class: "tuner-note", "data-testid": "tuner-note" }, "–");
    this.cents = h("div", { class: "tuner-cents", "data-testid": "tuner-cents" }, "");
    this.needle = h("div", { class: "tuner-needle", "data-testid": "tuner-needle" });
    this.freq = h("div", { class: "tuner-freq muted", "data-testid": "tuner-frequency" }, "");
    this.toggle = h("button", { class: "tuner-toggle", "data-testid": "tuner-toggle",
      onclick: () => this.onToggle() }, "Tune");
    this.mute = h("input", { type: "checkbox", checked: true, "data-testid": "tuner-mute" });
    this.reference = h("input", { type: "number", min: 400, max: 480, step: 0.5, value: 440,
      class: "tuner-ref", "data-testid": "tuner-reference", "aria-label": "Reference pitch (Hz)",
      onchange: () => { if (this.reading.active) this.start(); } });
    this.el = h("div", { class: `tuner${compact ? " compact" : ""}`, "data-testid": "tuner" },
      h("div", { class: "tuner-dial" }, h("div", { class: "tuner-scale" }), this.needle),
      h("div", { class: "tuner-readout" }, this.note, this.cents, this.freq),
      h("div", { class: "tuner-options" },
        this.toggle,
        h("label", { class: "tuner-opt" }, this.mute, " mute"),
        h("label", { class: "tuner-opt" }, "A4 ", this.reference, " Hz")));
    this.render();
  }

  start() {
    const reference = Number(this.reference.value) || 440;
    return this.actions.start({ mute: this.mute.checked, reference });
  }

  onToggle() {
    if (this.reading.active) this.actions.stop();
    else this.start();
  }

  /** Show one reading ({active, note, octave, cents, frequency, in_tune, muted, reference}). */
  show(reading) {
    this.reading = reading || { active: false };
    this.render();
  }

  render() {
    const r = this.reading;
    this.el.dataset.active = String(Boolean(r.active));
    this.toggle.textContent = r.active ? "Stop tuner" : "Tune";
    this.toggle.setAttribute("aria-pressed", String(Boolean(r.active)));
    const heard = r.active && r.note;
    this.note.textContent = heard ? `${r.note}${r.octave ?? ""}` : r.active ? "…" : "–";
    const cents = heard ? Number(r.cents) || 0 : 0;
    this.cents.textContent = heard ? `${cents > 0 ? "+" : ""}${cents.toFixed(1)} ¢` : "";
    this.freq.textContent = heard ? `${Number(r.frequency).toFixed(2)} Hz` : r.muted ? "muted" : "";
    const clamped = Math.max(-50, Math.min(50, cents));
    this.needle.style.transform = `rotate(${(clamped / 50) * NEEDLE_DEG}deg)`;
    this.el.dataset.inTune = String(Boolean(heard && r.in_tune));
    if (document.activeElement !== this.reference && r.reference) this.reference.value = r.reference;
  }
}
