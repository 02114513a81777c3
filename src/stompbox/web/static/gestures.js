// Pointer gestures on the board canvas: cable drawing, block moving, panning, pinch zoom, block knobs and buttons.

import { s, clear } from "./dom.js";
import { toNorm, fromNorm } from "./knob.js";
import { blockPorts, blockHeight, cablePath, freeSpot, mainControls } from "./layout.js";

const DRAG_SLOP = 5; // px before a press becomes a drag
const DOUBLE_TAP_MS = 400;
const LONG_PRESS_MS = 450; // a finger held this long on a block picks it up (a shorter drag pans)
const SNAP_PX = 26; // a cable drop this close to a port connects to it
const TOUCH_PX = 22; // a finger this close to a port presses it
const KNOB_PIXELS = 150; // vertical drag for a block knob's full range

/** Methods of Canvas (mixed into its prototype by canvas.js): `this` is the Canvas. */
export const Gestures = {
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
  },

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
  },

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
  },

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
  },

  /** "action instance" of the button under `target` (survives a re-render between press and click). */
  actionKey(target) {
    const button = target.closest("[data-action]");
    if (!button) return null;
    return `${button.dataset.action} ${button.closest("[data-testid=block]")?.dataset.instanceId ?? ""}`;
  },

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
  },

  tapBlock(id) {
    const now = performance.now();
    const double = this.lastTap.id === id && now - this.lastTap.time < DOUBLE_TAP_MS;
    this.lastTap = { id, time: double ? 0 : now };
    this.select({ kind: "block", id });
    if (double) this.actions.open(id);
  },

  pinchDistance() {
    const [p, q] = [...this.pointers.values()];
    return Math.max(1, Math.hypot(p.x - q.x, p.y - q.y));
  },

  /** Can a cable drawn from gesture `g` end on `port`? (opposite direction, same signal type) */
  compatible(g, port) {
    const from = g.port;
    return port.direction !== from.direction && (port.type === from.type || !port.type || !from.type);
  },

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
  },

  markCandidates(on) {
    const from = this.gesture;
    for (const el of this.svg.querySelectorAll("[data-testid=port]")) {
      const port = this.ports.get(el.dataset.address);
      el.classList.toggle("candidate", on && port && this.compatible(from, port));
    }
  },
};
