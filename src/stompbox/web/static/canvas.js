// The pedalboard canvas (SVG): blocks, ports, system ports and cables; drag to wire, move, pan and zoom.

import { h, s, clear } from "./dom.js";
import { Viewport } from "./viewport.js";
import { toNorm, fromNorm } from "./knob.js";
import { renderBlock } from "./blocks.js";
import { boardKey } from "./boardkeys.js";
import {
  BLOCK_W, SYS_W, blockPorts, blockHeight, portOffset, systemColumns, cablePath, cableMid, systemLabel,
  freeSpot, mainControls,
} from "./layout.js";

const DRAG_SLOP = 5; // px before a press becomes a drag
const DOUBLE_TAP_MS = 400;
const LONG_PRESS_MS = 450; // a finger held this long on a block picks it up (a shorter drag pans)
const SNAP_PX = 26; // a cable drop this close to a port connects to it
const TOUCH_PX = 22; // a finger this close to a port presses it
const KNOB_PIXELS = 150; // vertical drag for a block knob's full range

/**
 * actions: {connect(source, target), disconnect(source, target), move(id, x, y), remove(id),
 * bypass(id, bypassed), open(id), select(selection), setParameter(id, symbol, value), gesture(on),
 * refuse(message)}. `category(uri)` (optional) names a plugin's category for its colour.
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

    const touch = navigator.maxTouchPoints > 0 || matchMedia("(pointer: coarse)").matches;
    this.svg = s("svg", { class: `board${touch ? " touch" : ""}`, "data-testid": "canvas", tabindex: "0" });
    this.world = s("g", { class: "world" });
    this.layers = {
      system: s("g", { class: "system-layer" }),
      cables: s("g", { class: "cable-layer" }),
      halos: s("g", { class: "halo-layer" }), // a port's wide touch target, under the blocks
      blocks: s("g", { class: "block-layer" }),
      ports: s("g", { class: "port-layer" }), // above cables and blocks: every port stays clickable
      overlay: s("g", { class: "overlay-layer" }),
    };
    this.world.append(this.layers.system, this.layers.cables, this.layers.halos, this.layers.blocks,
      this.layers.ports, this.layers.overlay);
    this.category = () => "";
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

  selectedBlock() {
    return this.selection?.kind === "block" ? this.selection.id : null;
  }

  /** The cable under a page point, as {source, target}, or null. */
  cableAt(clientX, clientY) {
    for (const el of document.elementsFromPoint(clientX, clientY)) {
      const cable = el.closest?.("[data-testid=cable]");
      if (cable) return { source: cable.dataset.source, target: cable.dataset.target };
    }
    return null;
  }

  /** Keep block `id` visible beside the control panel (pan it out from under the panel). */
  reveal(id) {
    if (!id) return;
    requestAnimationFrame(() => {
      const panel = document.querySelector("[data-testid=control-panel]:not([hidden])");
      const block = this.svg.querySelector(`[data-testid=block][data-instance-id="${CSS.escape(id)}"] .block-body`);
      if (!panel || !block) return;
      const p = panel.getBoundingClientRect();
      const b = block.getBoundingClientRect();
      const r = this.svg.getBoundingClientRect();
      const bottomSheet = p.width >= r.width * 0.9;
      if (bottomSheet) {
        const room = p.top - r.top;
        if (b.bottom > p.top - 8 || b.top < r.top) this.view.panBy(0, Math.max(8, (room - b.height) / 2) - (b.top - r.top));
      } else {
        const room = p.left - r.left;
        if (b.right > p.left - 8 || b.left < r.left) this.view.panBy(Math.max(8, (room - b.width) / 2) - (b.left - r.left), 0);
      }
    });
  }

  /** Keyboard on the board (see boardkeys.js); true when the key was used. */
  onKey(ev) {
    return boardKey(this, ev);
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
    let top = 0;
    let left = cols.left - 10;
    for (const p of this.store.board.plugins) {
      const h = blockHeight(blockPorts(p), mainControls(p).length);
      bottom = Math.max(bottom, (p.y || 0) + h + 20);
      top = Math.min(top, (p.y || 0) - 20);
      left = Math.min(left, (p.x || 0) - 40);
    }
    this.view.fit({ x: left, y: top, w: cols.right + SYS_W + 20 - left, h: bottom - top }, { minScale: 0.05 });
  }

  // rendering

  render() {
    const board = this.store.board;
    this.ports.clear();
    this.columns = systemColumns(this.systemPorts, board.plugins);
    const focused = document.activeElement?.closest?.("[data-testid=block]")?.dataset.instanceId;
    for (const layer of Object.values(this.layers)) if (layer !== this.layers.overlay) clear(layer);
    this.renderSystem(this.columns);
    for (const inst of board.plugins) this.layers.blocks.append(this.renderBlock(inst));
    for (const conn of board.connections) {
      const el = this.renderCable(conn);
      if (el) this.layers.cables.append(el);
    }
    if (focused) {
      this.svg.querySelector(`[data-testid=block][data-instance-id="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
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
        }, systemLabel(port.address)));
      this.layers.ports.append(this.portElement(port.address, port.type, port.direction, port.x, port.y));
    }
  }

  renderBlock(inst) {
    return renderBlock(this, inst);
  }

  blockPort(g, inst, port, i, bx, by) {
    const off = portOffset(port.direction, i);
    const address = `${inst.instance_id}:${port.symbol}`;
    const input = port.direction === "input";
    const label = port.name.length > 12 ? `${port.name.slice(0, 11)}…` : port.name;
    g.append(
      s("text", { class: `port-label ${port.type}`, x: off.x + (input ? 12 : -12), y: off.y + 4,
        "text-anchor": input ? "start" : "end" }, label));
    this.layers.ports.append(this.portElement(address, port.type, port.direction, bx + off.x, by + off.y,
      `${inst.name} ${port.name}`));
  }

  portElement(address, type, direction, x, y, title = systemLabel(address)) {
    this.ports.set(address, { x, y, type, direction });
    this.layers.halos.append(s("circle", { class: "port-halo", cx: x, cy: y, r: 14, "data-halo": "",
      "data-address": address }));
    return s("g", { class: `port ${type} ${direction}`, transform: `translate(${x} ${y})`,
      "data-testid": "port", "data-address": address, "data-direction": direction, "data-type": type,
      tabindex: "0", role: "button", "aria-label": `${title} (${direction === "output" ? "out" : "in"})` },
    s("title", {}, title),
    s("circle", { class: "hit", r: 14 }), s("circle", { class: "dot", r: 6 }));
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
    if (ev.isPrimary) this.pointers.clear(); // a first finger: no other is down (drop a lost pointerup)
    this.pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (this.pointers.size === 2) {
      this.gesture = { type: "pinch", dist: this.pinchDistance() };
      return;
    }
    if (ev.button !== undefined && ev.button > 0) return;
    const target = ev.target;
    this.pressed = this.actionKey(target);
    if (this.pressed) return; // buttons act on release (onUp)
    const portEl = target.closest("[data-testid=port], [data-halo]");
    const blockEl = target.closest("[data-testid=block]");
    const cableEl = target.closest("[data-testid=cable]");
    const knobEl = target.closest("[data-knob]");
    try {
      this.svg.setPointerCapture(ev.pointerId);
    } catch {
      // a synthetic or already released pointer: the gesture still works while over the board
    }
    // a finger is wide: a touch off the blocks within TOUCH_PX of a port (a 44 px target) takes it
    const touchPort = !portEl && !blockEl && ev.pointerType === "touch"
      ? this.portAt(ev.clientX, ev.clientY, { from: null }, () => true, TOUCH_PX) : null;
    if (portEl || touchPort) {
      // overlapping halos (zoomed out): the port nearest to the finger
      const nearest = portEl && ev.pointerType === "touch"
        ? this.portAt(ev.clientX, ev.clientY, { from: null }, () => true, TOUCH_PX * 2) : null;
      const address = nearest || (portEl ? portEl.dataset.address : touchPort);
      const port = this.ports.get(address);
      if (!port) return;
      this.gesture = { type: "cable", from: address, port, sx: ev.clientX, sy: ev.clientY };
      this.markCandidates(true);
    } else if (knobEl && blockEl) {
      const inst = this.store.plugin(blockEl.dataset.instanceId);
      const port = inst?.available_parameters?.[knobEl.dataset.knob];
      if (!port) return;
      const value = inst.parameters?.[port.symbol] ?? port.default ?? port.minimum ?? 0;
      this.gesture = { type: "knob", id: inst.instance_id, port, cy: ev.clientY, n: toNorm(port, value), moved: false };
      this.actions.gesture?.(true);
    } else if (blockEl) {
      const inst = this.store.plugin(blockEl.dataset.instanceId);
      if (!inst) return;
      const touch = ev.pointerType === "touch";
      this.gesture = { type: "block", id: inst.instance_id, cx: ev.clientX, cy: ev.clientY,
        ox: inst.x || 0, oy: inst.y || 0, x: inst.x || 0, y: inst.y || 0, moved: false,
        held: !touch, lx: ev.clientX, ly: ev.clientY, panning: false };
      if (touch) {
        const g = this.gesture;
        g.timer = setTimeout(() => {
          if (this.gesture !== g || g.panning) return;
          g.held = true; // picked up: now the finger moves the block
          blockEl.classList.add("lifted");
          navigator.vibrate?.(15);
        }, LONG_PRESS_MS);
      }
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
    } else if (g.type === "knob") {
      if (!g.moved && Math.abs(ev.clientY - g.cy) < 2) return;
      g.moved = true;
      const fine = ev.shiftKey ? 0.1 : 1;
      const value = fromNorm(g.port, g.n + ((g.cy - ev.clientY) / KNOB_PIXELS) * fine);
      const inst = this.store.plugin(g.id);
      if (inst && inst.parameters?.[g.port.symbol] !== value) this.actions.setParameter?.(g.id, g.port.symbol, value);
    } else if (g.type === "block") {
      const dx = (ev.clientX - g.cx) / this.view.k;
      const dy = (ev.clientY - g.cy) / this.view.k;
      if (!g.moved && !g.panning && Math.hypot(ev.clientX - g.cx, ev.clientY - g.cy) < DRAG_SLOP) return;
      if (!g.held) {
        // a finger that moves before the long press pans the board (it does not drag the block)
        clearTimeout(g.timer);
        g.panning = true;
        this.view.panBy(ev.clientX - g.lx, ev.clientY - g.ly);
        g.lx = ev.clientX;
        g.ly = ev.clientY;
        return;
      }
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
    const pressed = this.pressed;
    this.pressed = null;
    if (pressed) {
      // buttons act on release over the button they were pressed on (no reliance on `click`,
      // which touch input does not always send)
      const under = document.elementFromPoint(ev.clientX, ev.clientY) || ev.target;
      if (this.actionKey(under) === pressed) this.runAction(under.closest("[data-action]"));
      return;
    }
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    if (g.type === "cable") {
      clear(this.layers.overlay);
      this.markCandidates(false);
      if (Math.hypot(ev.clientX - g.sx, ev.clientY - g.sy) < DRAG_SLOP) return; // a tap connects nothing
      const other = this.portAt(ev.clientX, ev.clientY, g);
      if (other) {
        const [source, target] = g.port.direction === "output" ? [g.from, other] : [other, g.from];
        this.actions.connect(source, target);
      } else {
        const near = this.portAt(ev.clientX, ev.clientY, g, () => true);
        const port = near && this.ports.get(near);
        if (port && port.direction === g.port.direction) {
          this.actions.refuse?.(port.direction === "input"
            ? "Cannot connect an input to an input: drag from an output ● to an input ●"
            : "Cannot connect an output to an output: drag from an output ● to an input ●");
        } else if (port) {
          this.actions.refuse?.(`Cannot connect ${g.port.type} to ${port.type}: the kinds differ`);
        }
      }
    } else if (g.type === "knob") {
      this.actions.gesture?.(false);
      if (!g.moved) this.tapBlock(g.id);
    } else if (g.type === "block") {
      clearTimeout(g.timer);
      if (g.moved) {
        const inst = this.store.plugin(g.id);
        const h = inst ? blockHeight(blockPorts(inst), mainControls(inst).length) : 120;
        const spot = freeSpot(this.store.board.plugins, g.x, g.y, h, g.id); // nudged: never on another block
        this.store.movePlugin(g.id, spot.x, spot.y);
        this.actions.move(g.id, spot.x, spot.y);
      } else if (!g.panning) {
        this.tapBlock(g.id);
      }
    } else if (g.type === "pan" && !g.moved) {
      if (this.selection) this.select(null);
    }
  }

  onCancel(ev) {
    this.pointers.delete(ev.pointerId);
    clearTimeout(this.gesture?.timer);
    if (this.gesture?.type === "knob") this.actions.gesture?.(false);
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

  runAction(button) {
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
  portAt(clientX, clientY, from, accept = (port) => this.compatible(from, port), px = SNAP_PX) {
    const p = this.view.toBoard(clientX, clientY);
    let best = null;
    let bestDist = px / this.view.k;
    for (const [address, port] of this.ports) {
      if (address === from.from || !accept(port)) continue;
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
