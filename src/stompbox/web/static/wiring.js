// Where a new block goes and how it is wired in: splice into a cable, after the selected block, at the
// end of the chain, or capture → it → playback for a board's first plugin; reconnecting around a removal.

import { BLOCK_W, audioPorts, pairUp } from "./layout.js";

const NEW = "@new";

function owner(address) {
  return address.slice(0, address.indexOf(":"));
}

export class Wiring {
  constructor(store, canvas) {
    this.store = store;
    this.canvas = canvas;
  }

  /** Audio system ports by direction ("output" = capture), in order. */
  system(direction) {
    return this.canvas.systemPorts
      .filter((p) => p.type === "audio" && p.direction === direction)
      .map((p) => p.address)
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  }

  /**
   * {x, y, splice: {disconnect, connect}} for a new plugin described by `info` (its catalog entry).
   * `clientPoint`: where it was dropped (or null); `selected`: the selected block's id (or null).
   */
  plan(info, clientPoint, selected) {
    const ports = Object.fromEntries(info.ports.map((p) => [p.symbol, p]));
    const ins = audioPorts(ports, "input").map((p) => `${NEW}:${p.symbol}`);
    const outs = audioPorts(ports, "output").map((p) => `${NEW}:${p.symbol}`);
    const board = this.store.board;
    const splice = { disconnect: [], connect: [] };
    const wire = (pairs) => {
      for (const [source, target] of pairs) splice.connect.push({ source, target });
    };
    if (clientPoint) {
      const p = this.canvas.view.toBoard(clientPoint.x, clientPoint.y);
      const cable = this.canvas.cableAt(clientPoint.x, clientPoint.y);
      if (cable && ins.length && outs.length) {
        // the cable and its other channel(s) between the same two blocks are spliced together
        const group = board.connections.filter((c) => owner(c.source) === owner(cable.source)
          && owner(c.target) === owner(cable.target) && this.isAudio(c.source));
        const byName = (a, b) => a.localeCompare(b, undefined, { numeric: true });
        const sources = [...new Set(group.map((c) => c.source))].sort(byName);
        const targets = [...new Set(group.map((c) => c.target))].sort(byName);
        splice.disconnect.push(...group.map((c) => ({ source: c.source, target: c.target })));
        wire(pairUp(sources, ins));
        wire(pairUp(outs, targets));
      }
      return { x: p.x - BLOCK_W / 2, y: p.y - 20, splice };
    }
    const after = (selected && this.store.plugin(selected)) || this.chainEnd();
    if (after) {
      const mine = audioPorts(after.ports, "output").map((p) => `${after.instance_id}:${p.symbol}`);
      const leaving = board.connections.filter((c) => mine.includes(c.source) && this.isAudio(c.target));
      wire(pairUp(mine, ins));
      if (leaving.length && outs.length) {
        splice.disconnect.push(...leaving.map((c) => ({ source: c.source, target: c.target })));
        const targets = [...new Set(leaving.map((c) => c.target))];
        wire(pairUp(outs, targets));
      }
      return { x: (after.x || 0) + BLOCK_W + 60, y: after.y || 0, splice };
    }
    const c = this.canvas.view.center();
    if (!board.plugins.length) {
      wire(pairUp(this.system("output"), ins));
      wire(pairUp(outs, this.system("input")));
    }
    return { x: c.x - BLOCK_W / 2, y: c.y - 60, splice };
  }

  isAudio(address) {
    const port = this.canvas.ports.get(address);
    return !port || port.type === "audio";
  }

  /** The block at the end of the chain: the rightmost one that feeds playback, else the rightmost. */
  chainEnd() {
    const plugins = this.store.board.plugins;
    if (!plugins.length) return null;
    const feeding = new Set(this.store.board.connections
      .filter((c) => c.target.startsWith("system:")).map((c) => owner(c.source)));
    const candidates = plugins.filter((p) => feeding.has(p.instance_id));
    const pool = candidates.length ? candidates : plugins;
    return pool.reduce((a, b) => ((b.x || 0) > (a.x || 0) ? b : a));
  }

  /** Cables that would join a block's neighbours if it went away: [[source, target]]. */
  bypassCables(inst) {
    const id = inst.instance_id;
    const conns = this.store.board.connections;
    const into = conns.filter((c) => owner(c.target) === id && owner(c.source) !== id && this.isAudio(c.source));
    const from = conns.filter((c) => owner(c.source) === id && owner(c.target) !== id && this.isAudio(c.target));
    const sources = [...new Set(into.map((c) => c.source))];
    const targets = [...new Set(from.map((c) => c.target))];
    const existing = new Set(conns.map((c) => `${c.source}>${c.target}`));
    return pairUp(sources, targets).filter(([s, t]) => !existing.has(`${s}>${t}`));
  }
}
