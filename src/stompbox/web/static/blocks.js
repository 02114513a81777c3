// One block on the board, drawn as a pedal: name, category stripe, main knobs, footswitch and LED.

import { s } from "./dom.js";
import { toNorm } from "./knob.js";
import { BLOCK_W, blockPorts, blockHeight, blockRows, mainControls } from "./layout.js";
import { meterGroup } from "./meters.js";

const SWEEP = 270;
const FOOT_Y = 25;

function arcPath(cx, cy, r, from, to) {
  const p = (deg) => {
    const a = ((deg - 90) * Math.PI) / 180;
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  };
  const [ax, ay] = p(from);
  const [bx, by] = p(to);
  return `M ${ax} ${ay} A ${r} ${r} 0 ${to - from > 180 ? 1 : 0} 1 ${bx} ${by}`;
}

export function renderBlock(canvas, inst) {
  const id = inst.instance_id;
  const drag = canvas.gesture?.type === "block" && canvas.gesture.id === id && canvas.gesture.moved ? canvas.gesture : null;
  const x = drag ? drag.x : inst.x || 0;
  const y = drag ? drag.y : inst.y || 0;
  const ports = blockPorts(inst);
  const knobs = mainControls(inst);
  const height = blockHeight(ports, knobs.length);
  const rows = blockRows(ports, knobs.length);
  const selected = canvas.selection?.kind === "block" && canvas.selection.id === id;
  const bypassed = inst.enabled === false;
  const category = (canvas.category(inst.uri) || "other").toLowerCase().replace(/[^a-z]+/g, "-");
  const g = s("g", {
    class: `block cat-${category}${selected ? " selected" : ""}${bypassed ? " bypassed" : ""}${inst.crashed ? " crashed" : ""}`,
    transform: `translate(${x} ${y})`,
    "data-testid": "block",
    "data-instance-id": id,
    "data-category": category,
    tabindex: "0",
    role: "group",
    "aria-label": `${inst.name}${bypassed ? " (bypassed)" : ""}`,
  });
  const name = inst.name.length > 20 ? `${inst.name.slice(0, 19)}…` : inst.name;
  g.append(
    s("rect", { class: "block-body", width: BLOCK_W, height, rx: 12 }),
    s("rect", { class: "block-stripe", width: BLOCK_W, height: 6, rx: 3 }),
    s("text", { class: "block-name", x: 12, y: 24 }, s("title", {}, inst.name), name),
    s("text", { class: "block-brand", x: 12, y: 39 }, inst.crashed ? "crashed — restarting…" : inst.brand || ""),
    s("text", { class: "block-dsp", x: BLOCK_W - 44, y: 39, "text-anchor": "end", "data-testid": "block-dsp" },
      dspText(canvas.store.dsp?.[id])),
    s("g", { class: "block-button", "data-action": "open", "data-testid": "block-open",
      transform: `translate(${BLOCK_W - 22} 22)` },
    s("title", {}, "All controls"),
    s("circle", { r: 16, class: "hit" }), s("text", { class: "gear", y: 5, "text-anchor": "middle" }, "⚙")));
  knobs.forEach((port, i) => g.append(blockKnob(inst, port, i, knobs.length, rows.knobTop)));
  g.append(meterGroup((BLOCK_W - 152) / 2, height - 9, canvas.store.levels?.[id]));
  const cx = BLOCK_W / 2;
  const cy = rows.footTop + FOOT_Y;
  g.append(s("g", { class: "block-button footswitch", "data-action": "bypass", "data-testid": "block-bypass",
    transform: `translate(${cx} ${cy})` },
  s("title", {}, bypassed ? "Bypassed — press to switch on" : "On — press to bypass"),
  s("circle", { r: 22, class: "hit" }),
  s("circle", { r: 14, class: "switch-ring" }), s("circle", { r: 9, class: "switch-cap" })),
  s("g", { class: "led", "data-testid": "block-led", transform: `translate(${cx - 40} ${cy})` },
    s("circle", { r: 5, class: "lamp" })));
  ports.inputs.forEach((p, i) => canvas.blockPort(g, inst, p, i, x, y));
  ports.outputs.forEach((p, i) => canvas.blockPort(g, inst, p, i, x, y));
  return g;
}

/** The block's share of the JACK period ("3.2 %"), from the engine's dsp_load reports. */
export function dspText(percent) {
  if (typeof percent !== "number" || !Number.isFinite(percent)) return "";
  return `${percent < 10 ? percent.toFixed(1) : Math.round(percent)} % DSP`;
}

/** One of the block's main controls as a small knob: drag up/down to turn it. */
function blockKnob(inst, port, i, n, top) {
  const slot = BLOCK_W / n;
  const cx = slot * i + slot / 2;
  const cy = top + 20;
  const value = inst.parameters?.[port.symbol] ?? port.default ?? port.minimum ?? 0;
  const t = toNorm(port, value);
  const label = (port.name || port.symbol).slice(0, 9);
  return s("g", { class: "mini-knob", "data-knob": port.symbol, "data-testid": "block-knob",
    "data-symbol": port.symbol, "data-value": value, transform: `translate(${cx} ${cy})` },
  s("title", {}, `${port.name}: ${Number(value.toFixed(3))}${port.units ? ` ${port.units}` : ""}`),
  s("circle", { r: 20, class: "hit" }),
  s("path", { class: "mini-track", d: arcPath(0, 0, 15, -SWEEP / 2, SWEEP / 2) }),
  t > 0.005 ? s("path", { class: "mini-value", d: arcPath(0, 0, 15, -SWEEP / 2, -SWEEP / 2 + t * SWEEP) }) : null,
  s("circle", { r: 10, class: "mini-cap" }),
  s("line", { class: "mini-pointer", x1: 0, y1: 0, x2: 8 * Math.sin(((-SWEEP / 2 + t * SWEEP) * Math.PI) / 180),
    y2: -8 * Math.cos(((-SWEEP / 2 + t * SWEEP) * Math.PI) / 180) }),
  s("text", { class: "mini-label", y: 31, "text-anchor": "middle" }, label));
}

