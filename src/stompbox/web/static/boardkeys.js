// The board's keyboard: arrows move the selection between blocks, Enter opens, B bypasses, and
// Enter on one port then another draws a cable.

/** Keyboard on the board: arrows move the selection between blocks, Enter opens, B bypasses. */
export function boardKey(canvas, ev) {
  const plugins = canvas.store.board.plugins;
  if (!plugins.length) return false;
  const focused = document.activeElement?.closest?.("[data-testid=block]")?.dataset.instanceId;
  if (focused && focused !== canvas.selectedBlock()) canvas.select({ kind: "block", id: focused }); // Tab, then keys
  const id = canvas.selectedBlock();
  const cur = id && canvas.store.plugin(id);
  const dirs = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
  if (ev.key in dirs) {
    const [dx, dy] = dirs[ev.key];
    let best = null;
    let bestScore = Infinity;
    for (const p of plugins) {
      if (cur && p === cur) continue;
      if (!cur) {
        const score = (p.x || 0) + (p.y || 0) / 10;
        if (score < bestScore) [best, bestScore] = [p, score];
        continue;
      }
      const vx = (p.x || 0) - (cur.x || 0);
      const vy = (p.y || 0) - (cur.y || 0);
      const along = vx * dx + vy * dy;
      if (along <= 0) continue;
      const score = along + 2 * Math.abs(vx * dy - vy * dx);
      if (score < bestScore) [best, bestScore] = [p, score];
    }
    if (best) focusBlock(canvas, best.instance_id);
    return true;
  }
  const portEl = document.activeElement?.closest?.("[data-testid=port]");
  if (portEl && (ev.key === "Enter" || ev.key === " ")) return keyConnect(canvas, portEl.dataset.address);
  if (!cur) return false;
  if (ev.key === "Enter") {
    canvas.actions.open(cur.instance_id);
    return true;
  }
  if (ev.key === "b" || ev.key === "B") {
    canvas.actions.bypass(cur.instance_id, cur.enabled !== false);
    return true;
  }
  return false;
}

/** Enter on a port, then Enter on another: a cable between them (in the right direction). */
function keyConnect(canvas, address) {
  const from = canvas.keyPort;
  if (!from || from === address) {
    canvas.keyPort = address;
    canvas.actions.refuse?.("Now focus another port (Tab) and press Enter to connect them", "info");
    return true;
  }
  canvas.keyPort = null;
  const a = canvas.ports.get(from);
  const b = canvas.ports.get(address);
  if (!a || !b) return true;
  if (a.direction === b.direction) {
    canvas.actions.refuse?.(`Cannot connect an ${a.direction} to an ${a.direction}: pick an output ● and an input ●`);
    return true;
  }
  const [source, target] = a.direction === "output" ? [from, address] : [address, from];
  canvas.actions.connect(source, target);
  return true;
}

function focusBlock(canvas, id) {
  canvas.select({ kind: "block", id });
  canvas.svg.querySelector(`[data-testid=block][data-instance-id="${CSS.escape(id)}"]`)?.focus({ preventScroll: true });
}

