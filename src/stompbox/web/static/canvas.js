// The pedalboard canvas (SVG): renders blocks, ports, system ports and cables; gestures.js handles the pointer.

import { h, s, clear } from "./dom.js";
import { Viewport } from "./viewport.js";
import { renderBlock } from "./blocks.js";
import { boardKey } from "./boardkeys.js";
import { Gestures } from "./gestures.js";
import {
  BLOCK_W, SYS_W, blockPorts, blockHeight, portOffset, systemColumns, cablePath, cableMid, systemLabel,
  mainControls,
} from "./layout.js";

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
}

Object.assign(Canvas.prototype, Gestures);
