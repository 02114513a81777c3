// Zoom and pan of the board: a transform from board coordinates to the SVG's screen pixels.

const MIN_K = 0.25;
const MAX_K = 3;

export class Viewport {
  constructor(svg, world, onchange = () => {}) {
    this.svg = svg;
    this.world = world; // the <g> that holds everything in board coordinates
    this.x = 0;
    this.y = 0;
    this.k = 1;
    this.onchange = onchange;
    svg.addEventListener("wheel", (ev) => this.onWheel(ev), { passive: false });
  }

  apply() {
    this.world.setAttribute("transform", `translate(${this.x} ${this.y}) scale(${this.k})`);
    this.svg.style.setProperty("--k", String(this.k)); // touch targets keep their screen size
    this.onchange();
  }

  /** Client (page) coordinates → board coordinates. */
  toBoard(clientX, clientY) {
    const r = this.svg.getBoundingClientRect();
    return { x: (clientX - r.left - this.x) / this.k, y: (clientY - r.top - this.y) / this.k };
  }

  /** Zoom by `factor` keeping the board point under (clientX, clientY) still. */
  zoomAt(factor, clientX, clientY) {
    const r = this.svg.getBoundingClientRect();
    const cx = clientX ?? r.left + r.width / 2;
    const cy = clientY ?? r.top + r.height / 2;
    const before = this.toBoard(cx, cy);
    this.k = Math.min(MAX_K, Math.max(MIN_K, this.k * factor));
    this.x = cx - r.left - before.x * this.k;
    this.y = cy - r.top - before.y * this.k;
    this.apply();
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.apply();
  }

  /**
   * Show the box {x, y, w, h} (board coordinates) whole and centred, never zoomed in past 1. When
   * that would need a scale below `minScale` (a phone), keep minScale and show the box's left part.
   */
  fit(box, { margin = 24, minScale = MIN_K } = {}) {
    const r = this.svg.getBoundingClientRect();
    if (!r.width || !r.height || !box.w || !box.h) return;
    const k = Math.min(1, (r.width - 2 * margin) / box.w, (r.height - 2 * margin) / box.h);
    this.k = Math.max(minScale, k); // may go below MIN_K: "fit" shows everything
    const tooWide = box.w * this.k > r.width - 2 * margin;
    this.x = tooWide ? margin - box.x * this.k : (r.width - box.w * this.k) / 2 - box.x * this.k;
    this.y = (r.height - box.h * this.k) / 2 - box.y * this.k;
    this.apply();
  }

  /** The board point at the centre of the visible area. */
  center() {
    const r = this.svg.getBoundingClientRect();
    return this.toBoard(r.left + r.width / 2, r.top + r.height / 2);
  }

  onWheel(ev) {
    ev.preventDefault();
    if (ev.ctrlKey || Math.abs(ev.deltaY) >= Math.abs(ev.deltaX)) {
      this.zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX, ev.clientY);
    } else {
      this.panBy(-ev.deltaX, 0);
    }
  }
}
