// Per-block level meters: two thin bars (input above, output below) at the foot of a block,
// peak + 2 s hold + clip, from the session's `block_meters` events (about 10 a second).

import { s } from "./dom.js";

const FLOOR_DB = -60;
const METER_W = 152;

function frac(db) {
  if (typeof db !== "number" || !Number.isFinite(db)) return 0;
  return Math.min(Math.max((db - FLOOR_DB) / -FLOOR_DB, 0), 1);
}

function bar(y, side) {
  return [
    s("rect", { class: "lvl-bg", x: 0, y, width: METER_W, height: 3, rx: 1.5 }),
    s("rect", { class: `lvl-bar lvl-${side}`, x: 0, y, width: 0, height: 3, rx: 1.5 }),
    s("rect", { class: `lvl-hold lvl-${side}-hold`, x: 0, y: y - 1, width: 2, height: 5 }),
  ];
}

/** The meter group of one block (empty until a reading arrives). */
export function meterGroup(x, y, reading) {
  const g = s("g", { class: "block-meter", "data-testid": "block-meter", transform: `translate(${x} ${y})` },
    s("title", {}, "Input (top) and output level"), ...bar(0, "in"), ...bar(5, "out"));
  showMeter(g, reading);
  return g;
}

/** Put one block's reading ({input_db, input_hold_db, input_clip, output_…}) on its group. */
export function showMeter(g, m) {
  g.dataset.active = String(Boolean(m));
  if (!m) return;
  for (const side of ["input", "output"]) {
    const short = side === "input" ? "in" : "out";
    const level = g.querySelector(`.lvl-${short}`);
    const hold = g.querySelector(`.lvl-${short}-hold`);
    level.setAttribute("width", (frac(m[`${side}_db`]) * METER_W).toFixed(1));
    hold.setAttribute("x", (frac(m[`${side}_hold_db`]) * (METER_W - 2)).toFixed(1));
    g.dataset[`${side}Db`] = String(m[`${side}_db`]);
    g.dataset[`${side}Clip`] = String(Boolean(m[`${side}_clip`]));
  }
  g.classList.toggle("clip", Boolean(m.input_clip || m.output_clip));
}
