// Pedalboard geometry in board coordinates: block sizes, port positions, system port columns, cable paths.

export const BLOCK_W = 210;
const HEAD = 44;
const ROW = 24;
const PAD = 12;
const SYS_TOP = 60;
const SYS_ROW = 56;
export const SYS_W = 96;

const TYPE_ORDER = { audio: 0, cv: 1, midi: 2 };

function byTypeThenIndex(a, b) {
  return (TYPE_ORDER[a.type] ?? 3) - (TYPE_ORDER[b.type] ?? 3) || a.index - b.index;
}

/** The signal ports (audio/cv/midi) of a plugin instance split into inputs and outputs. */
export function blockPorts(inst) {
  const all = Object.values(inst.ports || {}).filter((p) => p.type !== "control");
  return {
    inputs: all.filter((p) => p.direction === "input").sort(byTypeThenIndex),
    outputs: all.filter((p) => p.direction === "output").sort(byTypeThenIndex),
  };
}

export const KNOB_ROW = 58;
export const FOOT_ROW = 50;

/** Block height: head, port rows, a row of main knobs (when it has any), the footswitch row. */
export function blockHeight(ports, knobs = 0) {
  return HEAD + Math.max(1, ports.inputs.length, ports.outputs.length) * ROW + PAD + (knobs ? KNOB_ROW : 0) + FOOT_ROW;
}

/** Top of the knob row and of the footswitch row, relative to the block. */
export function blockRows(ports, knobs = 0) {
  const knobTop = HEAD + Math.max(1, ports.inputs.length, ports.outputs.length) * ROW + PAD;
  return { knobTop, footTop: knobTop + (knobs ? KNOB_ROW : 0) };
}

/** A plugin's own on/off port (Calf's "bypass", lv2:enabled …): folded into the block's footswitch. */
export function isSwitchPort(port) {
  if (port.designation === "enabled") return true;
  return Boolean(port.toggled) && /^(bypass|enable|enabled|on|on_?off|active|power)$/i.test(port.symbol);
}

const MAIN_NAMES = /gain|drive|dist|level|volume|tone|mix|dry.?wet|wet|time|delay|feedback|room|size|decay|rate|depth|threshold|ratio|bass|treble|mid|fuzz|sustain|master/i;
const NOT_MAIN = /freewheel|latency|sample.?rate|bpm|midi|channel/i;

/**
 * The 2–4 controls shown as knobs on the block: continuous input controls, those with the usual
 * names of a pedal's knobs first, then in port order.
 */
export function mainControls(inst, max = 4) {
  const params = inst.available_parameters || {};
  const chosen = (inst.knobs || []).map((sym) => params[sym]).filter(Boolean);
  if (chosen.length) return chosen.sort((a, b) => a.index - b.index);
  return defaultControls(inst, max);
}

/** The knobs block `inst` shows once `symbol` is pinned on it or taken off (at most 4; the
 * choice is kept with the board, on the server: `knobs` of the plugin instance). */
export function toggledKnobs(inst, symbol) {
  const current = mainControls(inst).map((p) => p.symbol);
  return current.includes(symbol) ? current.filter((s) => s !== symbol) : [...current, symbol].slice(-4);
}

function defaultControls(inst, max = 4) {
  const ports = Object.values(inst.available_parameters || {})
    .filter((p) => p.direction !== "output" && !p.toggled && !p.enumeration && !isSwitchPort(p)
      && p.minimum != null && p.maximum != null && p.maximum > p.minimum
      && !NOT_MAIN.test(p.symbol) && !["freewheeling", "sampleRate", "latency"].includes(p.designation));
  const score = (p) => (MAIN_NAMES.test(p.name || p.symbol) ? 0 : 1);
  return ports.sort((a, b) => score(a) - score(b) || a.index - b.index).slice(0, max).sort((a, b) => a.index - b.index);
}

/** Port positions relative to the block's top-left corner. */
export function portOffset(direction, i) {
  return { x: direction === "input" ? 0 : BLOCK_W, y: HEAD + ROW * i + ROW / 2 };
}

/** "system:capture_1" etc.: capture (JACK outputs) in the left column, playback (JACK inputs) in the right. */
export function systemColumns(systemPorts, plugins) {
  let right = 640;
  let bottom = 0;
  for (const p of plugins) {
    right = Math.max(right, (p.x || 0) + BLOCK_W + 180);
    bottom = Math.max(bottom, p.y || 0);
  }
  const left = -SYS_W - 120;
  const place = (ports, x) =>
    ports.map((port, i) => ({ ...port, x, y: SYS_TOP + i * SYS_ROW }));
  const captures = systemPorts.filter((p) => p.direction === "output");
  const playbacks = systemPorts.filter((p) => p.direction === "input");
  return {
    left,
    right,
    bottom,
    captures: place(captures, left + SYS_W),
    playbacks: place(playbacks, right),
  };
}

/** A cable between two points as an SVG path (a horizontal S curve). */
export function cablePath(a, b) {
  const dx = Math.max(50, Math.abs(b.x - a.x) / 2);
  return `M ${a.x} ${a.y} C ${a.x + dx} ${a.y}, ${b.x - dx} ${b.y}, ${b.x} ${b.y}`;
}

/** The point at t=0.5 of cablePath(a, b). */
export function cableMid(a, b) {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

/** Short label for a system port: "system:capture_1" → "capture 1". */
export function systemLabel(address) {
  return address.replace(/^system:/, "").replace(/_/g, " ");
}

/** The rectangle a block covers on the board. */
export function blockRect(inst) {
  return { x: inst.x || 0, y: inst.y || 0, w: BLOCK_W, h: blockHeight(blockPorts(inst), mainControls(inst).length) };
}

const GAP = 24; // free space kept around every block

function overlap(a, b) {
  return a.x < b.x + b.w + GAP && b.x < a.x + a.w + GAP && a.y < b.y + b.h + GAP && b.y < a.y + a.h + GAP;
}

/**
 * The free place nearest to (x, y) for a block of height `h`: one that overlaps no other block
 * (`plugins`, except `exceptId`). Candidates are tried on a grid around the wanted point.
 */
export function freeSpot(plugins, x, y, h = 120, exceptId = null) {
  const others = plugins.filter((p) => p.instance_id !== exceptId).map(blockRect);
  const free = (r) => !others.some((o) => overlap(r, o));
  const want = { x: Math.round(x), y: Math.round(y), w: BLOCK_W, h };
  if (free(want)) return { x: want.x, y: want.y };
  const candidates = [];
  for (let i = -8; i <= 8; i++) {
    for (let j = -8; j <= 8; j++) {
      const c = { x: want.x + i * (BLOCK_W + GAP) / 2, y: want.y + j * 40, w: BLOCK_W, h };
      candidates.push([Math.hypot(i * (BLOCK_W + GAP) / 2, j * 40 * 1.5), c]);
    }
  }
  candidates.sort((a, b) => a[0] - b[0]);
  for (const [, c] of candidates) if (free(c)) return { x: Math.round(c.x), y: Math.round(c.y) };
  let bottom = 0;
  for (const o of others) bottom = Math.max(bottom, o.y + o.h);
  return { x: want.x, y: Math.round(bottom + GAP * 2) };
}

/** Audio ports of one direction, in port order: [{symbol, index}] (from an instance or plugin info). */
export function audioPorts(ports, direction) {
  return Object.values(ports || {})
    .filter((p) => p.type === "audio" && p.direction === direction)
    .sort((a, b) => a.index - b.index);
}

/**
 * Which of `sources` feeds which of `targets` (addresses): mono into several feeds them all, else
 * channel by channel (a stereo source into a mono input uses its first channel).
 */
export function pairUp(sources, targets) {
  if (!sources.length || !targets.length) return [];
  if (sources.length === 1) return targets.map((t) => [sources[0], t]);
  if (targets.length === 1) return [[sources[0], targets[0]]];
  const n = Math.min(sources.length, targets.length);
  return Array.from({ length: n }, (_, i) => [sources[i], targets[i]]);
}

/** A catalog entry (PluginInfo) shaped like an instance, to size and place a block before it exists. */
export function infoAsInstance(info) {
  const ports = {};
  const controls = {};
  for (const p of info.ports || []) {
    if (p.type !== "control") ports[p.symbol] = p;
    else if (p.direction === "input") controls[p.symbol] = p;
  }
  return { ports, available_parameters: controls };
}
