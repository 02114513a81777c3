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

export function blockHeight(ports) {
  return HEAD + Math.max(1, ports.inputs.length, ports.outputs.length) * ROW + PAD;
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
