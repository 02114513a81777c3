// The pedalboard canvas (SVG): blocks, ports, system ports and cables; drag to wire, move, pan and zoom.

import { h, s, clear } from "./dom.js";
import { Viewport } from "./viewport.js";
import {
  BLOCK_W, SYS_W, blockPorts, blockHeight, portOffset, systemColumns, cablePath, cableMid, systemLabel,
} from "./layout.js";

const DRAG_SLOP = 5; // px before a press becomes a drag
const DOUBLE_TAP_MS = 400;
const SNAP_PX = 26; // a cable drop this close to a port connects to it

/**
 * actions: {connect(source, target), disconnect(source, target), move(id, x, y), remove(id),
 * bypass(id, bypassed), open(id), select(selection)}.
 */
export class Canvas {
  constructor(root, store, actions) {
    this.root = root;
    this.store = store;
    this.actions = actions;
    this.systemPorts = [];
    this.selection = null; // {kind: "block", id} | {kind: "cable", source, target}
    this.gesture = null;
    this.pointers = new Map(); // pointerId → {x, y} for pinch zoom
    this.ports = new Map(); // address → {x, y, type, direction}
    this.lastTap = { id: null, time: 0 };
    this.fitted = false;
    this.frame = 0;

    this.svg = s("svg", { class: "board", "data-testid": "canvas", tabindex: "0" });
    this.world = s("g", { class: "world" });
    this.layers = {
      system: s("g", { class: "system-layer" }),
      cables: s("g", { class: "cable-layer" }),
      blocks: s("g", { class: "block-layer" }),
      overlay: s("g", { class: "overlay-layer" }),
    };
    this.world.append(this.layers.system, this.layers.cables, this.layers.blocks, this.layers.overlay);
    this.svg.append(this.world);
    this.hint = h("div", { class: "board-hint", hidden: true },
      "Add plugins from the browser (click or drag them here), then drag from an output ● to an input ● to connect.");
    const zoom = h("div", { class: "zoom-buttons" },
      h("button", { "data-testid": "zoom-in", title: "Zoom in", onclick: () => this.view.zoomAt(1.25) }, "+"),
      h("button", { "data-testid": "zoom-out", title: "Zoom out", onclick: () => this.view.zoomAt(0.8) }, "−"),
      h("button", { "data-testid": "zoom-fit", title: "Show everything", onclick: () => this.fitAll() }, "⤢"));
    root.append(this.svg, this.hint, zoom);
    this.view = new Viewport(this.svg, this.world);

    this.svg.addEventListener("pointerdown", (ev) => this.onDown(ev));
    this.svg.addEventListener("pointermove", (ev) => this.onMove(ev));
    this.svg.addEventListener("pointerup", (ev) => this.onUp(ev));
    this.svg.addEventListener("pointercancel", (ev) => this.onCancel(ev));
    this.svg.addEventListener("click", (ev) => this.onClick(ev));
  }

  setSystemPorts(ports) {
    this.systemPorts = ports;
    this.render();
  }

  /** Re-render on the next animation frame (coalesces bursts of events). */
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  select(selection) {
    this.selection = selection;
    this.actions.select?.(selection);
    this.render();
  }

  deleteSelection() {
    const sel = this.selection;
    if (!sel) return false;
    this.selection = null;
    if (sel.kind === "block") this.actions.remove(sel.id);
    else this.actions.disconnect(sel.source, sel.target);
    this.render();
    return true;
  }

  /** Zoom and pan so that every block and system port is visible. */
  fitAll() {
    const cols = this.columns;
    if (!cols) return;
    let bottom = 120 + Math.max(cols.captures.length, cols.playbacks.length) * 56;
    for (const p of this.store.board.plugins) bottom = Math.max(bottom, (p.y || 0) + 200);
    let top = 0;
    for (const p of this.store.board.plugins) top = Math.min(top, (p.y || 0) - 20);
    this.view.fit({ x: cols.left - 10, y: top, w: cols.right + SYS_W + 20 - cols.left, h: bottom - top },
      { minScale: this.svg.clientWidth < 600 ? 0.6 : 0.25 });
  }

  // rendering

  render() {
    const board = this.store.board;
    this.ports.clear();
    this.columns = systemColumns(this.systemPorts, board.plugins);
    for (const layer of Object.values(this.layers)) if (layer !== this.layers.overlay) clear(layer);
    this.renderSystem(this.columns);
    for (const inst of board.plugins) this.layers.blocks.append(this.renderBlock(inst));
    for (const conn of board.connections) {
      const el = this.renderCable(conn);
      if (el) this.layers.cables.append(el);
    }
    this.hint.hidden = board.plugins.length > 0;
    if (!this.fitted && this.store.state) {
      this.fitted = true;
      this.fitAll();
    }
  }

  renderSystem(cols) {
    const card = (ports, x, title) => {
      if (!ports.length) return;
      const top = ports[0].y - 36;
      const height = ports[ports.length - 1].y - top + 28;
      this.layers.system.append(
        s("rect", { class: "system-card", x, y: top, width: SYS_W, height, rx: 10 }),
        s("text", { class: "system-title", x: x + SYS_W / 2, y: top + 18, "text-anchor": "middle" }, title));
    };
    card(cols.captures, cols.left, "capture");
    card(cols.playbacks, cols.right, "playback");
    for (const port of [...cols.captures, ...cols.playbacks]) {
      const output = port.direction === "output";
      this.layers.system.append(
        s("text", {
          class: "port-label system-label", x: port.x + (output ? -12 : 12), y: port.y + 4,
          "text-anchor": output ? "end" : "start",
        }, systemLabel(port.address)),
        this.portElement(port.address, port.type, port.direction, port.x, port.y));
    }
  }

  renderBlock(inst) {
    const id = inst.instance_id;
    const drag = this.gesture?.type === "block" && this.gesture.id === id ? this.gesture : null;
    const x = drag ? drag.x : inst.x || 0;
    const y = drag ? drag.y : inst.y || 0;
    const ports = blockPorts(inst);
    const height = blockHeight(ports);
    const selected = this.selection?.kind === "block" && this.selection.id === id;
    const bypassed = inst.enabled === false;
    const g = s("g", {
      class: `block${selected ? " selected" : ""}${bypassed ? " bypassed" : ""}`,
      transform: `translate(${x} ${y})`,
      "data-testid": "block",
      "data-instance-id": id,
    });
    const name = inst.name.length > 16 ? `${inst.name.slice(0, 15)}…` : inst.name;
    g.append(
      s("rect", { class: "block-body", width: BLOCK_W, height, rx: 10 }),
      s("text", { class: "block-name", x: 12, y: 20 }, s("title", {}, inst.name), name),
      s("text", { class: "block-brand", x: 12, y: 35 }, inst.brand || id),
      s("g", { class: "block-button led", "data-action": "bypass", "data-testid": "block-bypass",
        transform: `translate(${BLOCK_W - 44} 16)` },
      s("title", {}, bypassed ? "Bypassed — click to enable" : "On — click to bypass"),
      s("circle", { r: 10, class: "hit" }), s("circle", { r: 5, class: "lamp" })),
      s("g", { class: "block-button", "data-action": "open", "data-testid": "block-open",
        transform: `translate(${BLOCK_W - 18} 16)` },
      s("title", {}, "Controls"),
      s("circle", { r: 10, class: "hit" }), s("text", { class: "gear", y: 5, "text-anchor": "middle" }, "⚙")));
    ports.inputs.forEach((p, i) => this.blockPort(g, inst, p, i, x, y));
    ports.outputs.forEach((p, i) => this.blockPort(g, inst, p, i, x, y));
    return g;
  }

  blockPort(g, inst, port, i, bx, by) {
    const off = portOffset(port.direction, i);
    const address = `${inst.instance_id}:${port.symbol}`;
    const input = port.direction === "input";
    const label = port.name.length > 12 ? `${port.name.slice(0, 11)}…` : port.name;
    g.append(
      s("text", { class: `port-label ${port.type}`, x: off.x + (input ? 12 : -12), y: off.y + 4,
        "text-anchor": input ? "start" : "end" }, label),
      this.portElement(address, port.type, port.direction, off.x, off.y));
    this.ports.set(address, { x: bx + off.x, y: by + off.y, type: port.type, direction: port.direction });
  }

  portElement(address, type, direction, x, y) {
    if (address.startsWith("system:")) this.ports.set(address, { x, y, type, direction });
    return s("g", { class: `port ${type} ${direction}`, transform: `translate(${x} ${y})`,
      "data-testid": "port", "data-address": address, "data-direction": direction, "data-type": type },
    s("title", {}, address),
    s("circle", { class: "hit", r: 12 }), s("circle", { class: "dot", r: 6 }));
  }

  renderCable(conn) {
    const a = this.ports.get(conn.source);
    const b = this.ports.get(conn.target);
    if (!a || !b) return null;
    const d = cablePath(a, b);
    const sel = this.selection;
    const selected = sel?.kind === "cable" && sel.source === conn.source && sel.target === conn.target;
    const g = s("g", { class: `cable ${a.type}${selected ? " selected" : ""}`, "data-testid": "cable",
      "data-source": conn.source, "data-target": conn.target },
    s("path", { class: "cable-hit", d }), s("path", { class: "cable-line", d }));
    if (selected) {
      const m = cableMid(a, b);
      g.append(s("g", { class: "cable-remove", "data-action": "remove-cable", "data-testid": "cable-remove",
        transform: `translate(${m.x} ${m.y})` },
      s("title", {}, "Remove cable"), s("circle", { r: 11 }), s("text", { y: 5, "text-anchor": "middle" }, "×")));
    }
    return g;
  }

  // pointer gestures: cable drawing, block moving, panning, pinch zoom

  onDown(ev) {
    this.svg.focus({ preventScroll: true });
    this.pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (this.pointers.size === 2) {
      this.gesture = { type: "pinch", dist: this.pinchDistance() };
      return;
    }
    if (ev.button !== undefined && ev.button > 0) return;
    const target = ev.target;
    this.pressed = this.actionKey(target);
    if (this.pressed) return; // buttons act on click
    const portEl = target.closest("[data-testid=port]");
    const blockEl = target.closest("[data-testid=block]");
    const cableEl = target.closest("[data-testid=cable]");
    try {
      this.svg.setPointerCapture(ev.pointerId);
    } catch {
      // a synthetic or already released pointer: the gesture still works while over the board
    }
    if (portEl) {
      const address = portEl.dataset.address;
      const port = this.ports.get(address);
      if (!port) return;
      this.gesture = { type: "cable", from: address, port };
      this.markCandidates(true);
    } else if (blockEl) {
      const inst = this.store.plugin(blockEl.dataset.instanceId);
      if (!inst) return;
      this.gesture = { type: "block", id: inst.instance_id, cx: ev.clientX, cy: ev.clientY,
        ox: inst.x || 0, oy: inst.y || 0, x: inst.x || 0, y: inst.y || 0, moved: false };
    } else if (cableEl) {
      this.gesture = null;
      this.select({ kind: "cable", source: cableEl.dataset.source, target: cableEl.dataset.target });
    } else {
      this.gesture = { type: "pan", lx: ev.clientX, ly: ev.clientY, moved: false, sx: ev.clientX, sy: ev.clientY };
    }
  }

  onMove(ev) {
    if (this.pointers.has(ev.pointerId)) this.pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    const g = this.gesture;
    if (!g) return;
    if (g.type === "pinch" && this.pointers.size === 2) {
      const dist = this.pinchDistance();
      const [p, q] = [...this.pointers.values()];
      this.view.zoomAt(dist / g.dist, (p.x + q.x) / 2, (p.y + q.y) / 2);
      g.dist = dist;
    } else if (g.type === "cable") {
      const to = this.view.toBoard(ev.clientX, ev.clientY);
      const [a, b] = g.port.direction === "output" ? [g.port, to] : [to, g.port];
      clear(this.layers.overlay).append(s("path", { class: `cable-line drawing ${g.port.type}`, d: cablePath(a, b) }));
    } else if (g.type === "block") {
      const dx = (ev.clientX - g.cx) / this.view.k;
      const dy = (ev.clientY - g.cy) / this.view.k;
      if (!g.moved && Math.hypot(ev.clientX - g.cx, ev.clientY - g.cy) < DRAG_SLOP) return;
      g.moved = true;
      g.x = Math.round(g.ox + dx);
      g.y = Math.round(g.oy + dy);
      this.schedule();
    } else if (g.type === "pan") {
      if (!g.moved && Math.hypot(ev.clientX - g.sx, ev.clientY - g.sy) < DRAG_SLOP) return;
      g.moved = true;
      this.view.panBy(ev.clientX - g.lx, ev.clientY - g.ly);
      g.lx = ev.clientX;
      g.ly = ev.clientY;
    }
  }

  onUp(ev) {
    this.pointers.delete(ev.pointerId);
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    if (g.type === "cable") {
      clear(this.layers.overlay);
      this.markCandidates(false);
      const other = this.portAt(ev.clientX, ev.clientY, g);
      if (other) {
        const [source, target] = g.port.direction === "output" ? [g.from, other] : [other, g.from];
        this.actions.connect(source, target);
      }
    } else if (g.type === "block") {
      if (g.moved) {
        this.store.movePlugin(g.id, g.x, g.y);
        this.actions.move(g.id, g.x, g.y);
      } else {
        this.tapBlock(g.id);
      }
    } else if (g.type === "pan" && !g.moved) {
      if (this.selection) this.select(null);
    }
  }

  onCancel(ev) {
    this.pointers.delete(ev.pointerId);
    if (this.gesture?.type === "cable") {
      clear(this.layers.overlay);
      this.markCandidates(false);
    }
    this.gesture = null;
    this.render();
  }

  /** "action instance" of the button under `target` (survives a re-render between press and click). */
  actionKey(target) {
    const button = target.closest("[data-action]");
    if (!button) return null;
    return `${button.dataset.action} ${button.closest("[data-testid=block]")?.dataset.instanceId ?? ""}`;
  }

  onClick(ev) {
    const button = ev.target.closest("[data-action]");
    // a touch tap that selected a cable puts its × under the finger: only a press on the button counts
    if (!button || this.actionKey(ev.target) !== this.pressed) return;
    this.pressed = null;
    const id = button.closest("[data-testid=block]")?.dataset.instanceId;
    const action = button.dataset.action;
    if (action === "bypass" && id) {
      const inst = this.store.plugin(id);
      if (inst) this.actions.bypass(id, inst.enabled !== false);
    } else if (action === "open" && id) {
      this.select({ kind: "block", id });
      this.actions.open(id);
    } else if (action === "remove-cable" && this.selection?.kind === "cable") {
      this.deleteSelection();
    }
  }

  tapBlock(id) {
    const now = performance.now();
    const double = this.lastTap.id === id && now - this.lastTap.time < DOUBLE_TAP_MS;
    this.lastTap = { id, time: double ? 0 : now };
    this.select({ kind: "block", id });
    if (double) this.actions.open(id);
  }

  pinchDistance() {
    const [p, q] = [...this.pointers.values()];
    return Math.max(1, Math.hypot(p.x - q.x, p.y - q.y));
  }

  /** Can a cable drawn from gesture `g` end on `port`? (opposite direction, same signal type) */
  compatible(g, port) {
    const from = g.port;
    return port.direction !== from.direction && (port.type === from.type || !port.type || !from.type);
  }

  /** The compatible port nearest to the pointer, within SNAP_PX screen pixels. */
  portAt(clientX, clientY, from) {
    const p = this.view.toBoard(clientX, clientY);
    let best = null;
    let bestDist = SNAP_PX / this.view.k;
    for (const [address, port] of this.ports) {
      if (address === from.from || !this.compatible(from, port)) continue;
      const dist = Math.hypot(port.x - p.x, port.y - p.y);
      if (dist < bestDist) {
        best = address;
        bestDist = dist;
      }
    }
    return best;
  }

  markCandidates(on) {
    const from = this.gesture;
    for (const el of this.svg.querySelectorAll("[data-testid=port]")) {
      const port = this.ports.get(el.dataset.address);
      el.classList.toggle("candidate", on && port && this.compatible(from, port));
    }
  }
}
