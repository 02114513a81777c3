// Standing notices under the top bar: what the board could not load (pending), and the session's warnings.

import { api } from "./api.js";
import { ask, toast } from "./dialogs.js";
import { h } from "./dom.js";

const DISMISSED_KEY = "stompbox.dismissed-warnings";
const MAX_WARNINGS = 5;
/** Warnings that describe a standing condition: a page opened later shows them too (the others,
 * a drift repaired, are news: shown when they happen). */
const STANDING = new Set(["autosave_failing", "current_board_set_aside"]);
const KIND_LABELS = {
  autosave_failing: "Autosave is failing",
  current_board_set_aside: "The last board was set aside",
  drift_repaired: "The engine was brought back to the board",
  board_unresolved: "Board",
};

function pendingKey(pb) {
  const plugins = (pb.pending_plugins || []).map((p) => p.instance_id);
  const cables = (pb.pending_connections || []).map((c) => `${c.source}>${c.target}`);
  return JSON.stringify([plugins, cables]);
}

function loadDismissed() {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(DISMISSED_KEY) || "[]"));
  } catch {
    return new Set();
  }
}

/** Ask, then discard what the board keeps pending (it leaves the autosave now, the file at Save). */
async function discardPending(count, humanize) {
  const answer = await ask("Discard what could not load?",
    `${count} item${count === 1 ? "" : "s"} leave the board. Its file keeps them until you save it.`,
    [{ key: "cancel", label: "Cancel" }, { key: "discard", label: "Discard", danger: true }]);
  if (answer !== "discard") return;
  try {
    await api.post("/api/pedalboard/pending/discard");
  } catch (err) {
    toast(humanize(err.message));
  }
}

/** Try what is pending again (a plugin installed meanwhile); say what still cannot run. */
async function retryPending(humanize) {
  try {
    const result = await api.post("/api/pedalboard/pending/retry");
    const left = (result.pedalboard?.pending_plugins?.length || 0) + (result.pedalboard?.pending_connections?.length || 0);
    toast(left ? `Still not loaded: ${left} item${left === 1 ? "" : "s"}` : "Everything loaded", left ? "error" : "info");
  } catch (err) {
    toast(humanize(err.message));
  }
}

/**
 * `new Notices(container, store, humanize)`; `update()` after the state, the board's
 * pending items or the warnings changed. The pending notice lists every plugin (name and URI) and
 * connection the board keeps pending, with Try again and Discard; × hides it until the pending
 * items change. Each warning has its own ×, remembered for this tab.
 */
export class Notices {
  constructor(container, store, humanize = (m) => m) {
    this.el = container;
    this.store = store;
    this.actions = { retry: () => retryPending(humanize), discard: () => discardPending(this.count(), humanize) };
    this.hiddenPending = "";
    this.dismissed = loadDismissed();
    this.busy = false;
  }

  count() {
    const pb = this.store.board;
    return (pb.pending_plugins?.length || 0) + (pb.pending_connections?.length || 0);
  }

  update() {
    const pb = this.store.board;
    const pending = (pb.pending_plugins?.length || 0) + (pb.pending_connections?.length || 0);
    const key = pendingKey(pb);
    const nodes = [];
    if (pending && this.hiddenPending !== key) nodes.push(this.pendingNotice(pb, key));
    nodes.push(...this.warnings().map((w) => this.warningNotice(w)));
    this.el.replaceChildren(...nodes);
    this.el.hidden = nodes.length === 0;
  }

  pendingNotice(pb, key) {
    const plugins = (pb.pending_plugins || []).map((p) => h("li", { "data-testid": "pending-plugin" },
      h("strong", {}, p.name || p.instance_id), " ", h("span", { class: "muted notice-uri" }, p.uri)));
    const cables = (pb.pending_connections || []).map((c) => h("li", { "data-testid": "pending-connection" },
      `${c.source} → ${c.target}`));
    const button = (label, testid, run, cls = "") => h("button", { type: "button", class: `small ${cls}`.trim(),
      "data-testid": testid, disabled: this.busy, onclick: () => this.run(run) }, label);
    return h("div", { class: "notice warning", role: "alert", "data-testid": "pending-notice" },
      h("div", { class: "notice-head" },
        h("strong", {}, "Not loaded on this board"),
        h("button", { type: "button", class: "icon notice-close", "aria-label": "Hide this notice",
          "data-testid": "pending-dismiss", onclick: () => { this.hiddenPending = key; this.update(); } }, "×")),
      h("p", { class: "notice-text" },
        "These cannot run here (a plugin not installed, a port that does not exist). The board keeps them, " +
        "and its file too, until you discard them."),
      plugins.length ? h("div", {}, h("span", { class: "muted" }, "Plugins"), h("ul", {}, ...plugins)) : null,
      cables.length ? h("div", {}, h("span", { class: "muted" }, "Connections"), h("ul", {}, ...cables)) : null,
      h("div", { class: "notice-buttons" },
        button("Try again", "pending-retry", this.actions.retry),
        button("Discard", "pending-discard", this.actions.discard, "danger")));
  }

  async run(action) {
    this.busy = true;
    this.update();
    try {
      await action();
    } finally {
      this.busy = false;
      this.update();
    }
  }

  /** The warnings to show: newest last, each message once, not dismissed, standing ones or news
   * of this page's time; what the pending notice says (a load's "kept as pending") is left to it. */
  warnings() {
    const seen = new Set();
    const out = [];
    for (const w of (this.store.state?.warnings || []).slice().reverse()) {
      const id = `${w.kind}\u0000${w.message}`;
      if (seen.has(id) || this.dismissed.has(id) || !(w.live || STANDING.has(w.kind))) continue;
      if (w.kind === "board_unresolved" && /kept as pending/.test(w.message)) continue;
      seen.add(id);
      out.unshift({ ...w, id });
      if (out.length >= MAX_WARNINGS) break;
    }
    return out;
  }

  warningNotice(w) {
    return h("div", { class: "notice", role: "status", "data-testid": "session-warning", dataset: { kind: w.kind } },
      h("div", { class: "notice-head" },
        h("strong", {}, KIND_LABELS[w.kind] || "Warning"),
        h("button", { type: "button", class: "icon notice-close", "aria-label": "Dismiss this warning",
          "data-testid": "warning-dismiss", onclick: () => this.dismiss(w.id) }, "×")),
      h("p", { class: "notice-text" }, w.message));
  }

  dismiss(id) {
    this.dismissed.add(id);
    try {
      sessionStorage.setItem(DISMISSED_KEY, JSON.stringify([...this.dismissed].slice(-50)));
    } catch {
      // private mode: dismissed for this page only
    }
    this.update();
  }
}
