// A rotary knob (SVG, pointer/wheel/keyboard driven) and the value ↔ position mapping of LV2 control ports.

import { s } from "./dom.js";

const SWEEP = 270; // degrees from minimum to maximum
const DRAG_PIXELS = 180; // vertical pixels for the full range

function range(port) {
  const min = port.minimum ?? 0;
  const max = port.maximum ?? 1;
  return max > min ? [min, max] : [min, min + 1];
}

/** Normalised position 0..1 of `value` on `port` (logarithmic ports map geometrically). */
export function toNorm(port, value) {
  const [min, max] = range(port);
  const v = Math.min(max, Math.max(min, value));
  if (port.logarithmic && min > 0) return Math.log(v / min) / Math.log(max / min);
  return (v - min) / (max - min);
}

/** The value at normalised position `n`, rounded for integer ports. */
export function fromNorm(port, n) {
  const [min, max] = range(port);
  const t = Math.min(1, Math.max(0, n));
  let v = port.logarithmic && min > 0 ? min * (max / min) ** t : min + t * (max - min);
  if (port.integer || port.enumeration) v = Math.round(v);
  return Math.min(max, Math.max(min, v));
}

function polar(angleDeg, r) {
  const a = ((angleDeg - 90) * Math.PI) / 180;
  return { x: 24 + r * Math.cos(a), y: 24 + r * Math.sin(a) };
}

function arc(from, to, r) {
  const a = polar(from, r);
  const b = polar(to, r);
  const large = to - from > 180 ? 1 : 0;
  return `M ${a.x} ${a.y} A ${r} ${r} 0 ${large} 1 ${b.x} ${b.y}`;
}

/** A knob for one control port. `oninput(value)` fires while turning. */
export class Knob {
  constructor(port, value, oninput, hooks = {}) {
    this.port = port;
    this.oninput = oninput;
    this.hooks = hooks; // {begin(), end()}: a drag is one gesture (one undo entry)
    this.active = false; // while the user turns it, values from the server do not move it
    this.value = value;
    this.valueArc = s("path", { class: "knob-value" });
    this.pointer = s("line", { class: "knob-pointer", x1: 24, y1: 24, x2: 24, y2: 8 });
    this.el = s("svg", {
      class: "knob", viewBox: "0 0 48 48", width: 48, height: 48, tabindex: "0", role: "slider",
      "aria-label": port.name, "data-testid": "knob", "data-symbol": port.symbol,
      "aria-valuemin": range(port)[0], "aria-valuemax": range(port)[1],
    },
    s("path", { class: "knob-track", d: arc(-SWEEP / 2, SWEEP / 2, 20) }),
    this.valueArc,
    s("circle", { class: "knob-cap", cx: 24, cy: 24, r: 14 }),
    this.pointer);
    this.el.addEventListener("pointerdown", (ev) => this.onDown(ev));
    this.el.addEventListener("pointermove", (ev) => this.onMove(ev));
    this.el.addEventListener("pointerup", (ev) => this.onUp(ev));
    this.el.addEventListener("pointercancel", (ev) => this.onUp(ev));
    this.el.addEventListener("wheel", (ev) => this.onWheel(ev), { passive: false });
    this.el.addEventListener("keydown", (ev) => this.onKey(ev));
    this.el.addEventListener("dblclick", () => this.port.default != null && this.change(this.port.default));
    this.draw();
  }

  /** Show a value that came from the server (ignored while the user is turning the knob). */
  set(value) {
    if (this.active) return;
    this.value = value;
    this.draw();
  }

  draw() {
    const n = toNorm(this.port, this.value);
    const angle = -SWEEP / 2 + n * SWEEP;
    this.valueArc.setAttribute("d", n > 0.001 ? arc(-SWEEP / 2, angle, 20) : "");
    const tip = polar(angle, 12);
    this.pointer.setAttribute("x2", tip.x);
    this.pointer.setAttribute("y2", tip.y);
    this.el.setAttribute("aria-valuenow", this.value);
  }

  change(value) {
    if (value === this.value) return;
    this.value = value;
    this.draw();
    this.oninput(value);
  }

  onDown(ev) {
    ev.preventDefault();
    this.el.setPointerCapture(ev.pointerId);
    this.active = true;
    this.drag = { y: ev.clientY, n: toNorm(this.port, this.value) };
    this.hooks.begin?.();
  }

  onMove(ev) {
    if (!this.drag) return;
    const fine = ev.shiftKey ? 0.1 : 1;
    this.change(fromNorm(this.port, this.drag.n + ((this.drag.y - ev.clientY) / DRAG_PIXELS) * fine));
  }

  onUp() {
    if (this.drag) this.hooks.end?.();
    this.drag = null;
    this.active = false;
  }

  step(direction, big) {
    const p = this.port;
    const n = toNorm(p, this.value);
    if (p.integer || p.enumeration) {
      const [min, max] = range(p);
      const stepSize = big ? Math.max(1, Math.round((max - min) / 10)) : 1;
      this.change(Math.min(max, Math.max(min, Math.round(this.value) + direction * stepSize)));
    } else {
      this.change(fromNorm(p, n + direction * (big ? 0.1 : 0.01)));
    }
  }

  onWheel(ev) {
    ev.preventDefault();
    ev.stopPropagation();
    this.step(ev.deltaY < 0 ? 1 : -1, false);
  }

  onKey(ev) {
    const keys = { ArrowUp: 1, ArrowRight: 1, ArrowDown: -1, ArrowLeft: -1, PageUp: 1, PageDown: -1 };
    if (!(ev.key in keys)) return;
    ev.preventDefault();
    this.step(keys[ev.key], ev.key.startsWith("Page") || ev.shiftKey);
  }
}
