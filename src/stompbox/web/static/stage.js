// The stage view: one screen of big controls for playing — song, snapshots, footswitches, tuner, mute.

import { h, clear } from "./dom.js";
import { TunerView } from "./tuner.js";

/**
 * actions: {recall(i), saveSnapshot(), bypass(id, bypassed), mute(on), next(), previous(),
 * tunerStart(opts), tunerStop(), close(), chooseSetlist(id | ""), addToSetlist(), editSetlist(),
 * chooseFootswitches(ids)}. `live` holds {setlist, tuner, load}.
 */
export class StageView {
  constructor(root, store, live, actions) {
    this.root = root;
    this.store = store;
    this.live = live;
    this.actions = actions;
    this.choosing = false;
    this.title = h("h1", { class: "stage-title", "data-testid": "stage-title" }, "");
    this.song = h("div", { class: "stage-song muted", "data-testid": "stage-song" }, "");
    this.snaps = h("div", { class: "stage-snapshots", "data-testid": "stage-snapshots" });
    this.feet = h("div", { class: "stage-footswitches", "data-testid": "stage-footswitches" });
    this.mute = h("button", { class: "stage-mute", "data-testid": "stage-mute",
      onclick: () => this.actions.mute(this.processing()) }, "Mute");
    this.tuner = new TunerView({ start: (o) => actions.tunerStart(o), stop: () => actions.tunerStop() });
    this.tunerBox = h("div", { class: "stage-tuner", hidden: true }, this.tuner.el);
    this.setlistSelect = h("select", { "data-testid": "stage-setlist", "aria-label": "Setlist",
      onchange: () => actions.chooseSetlist(this.setlistSelect.value) });
    const big = (testid, label, onclick) => h("button", { class: "stage-step", "data-testid": testid, onclick }, label);
    root.append(
      h("header", { class: "stage-head" },
        h("button", { class: "stage-close", "data-testid": "stage-close", title: "Back to the editor",
          onclick: () => actions.close() }, "✎ Editor"),
        h("div", { class: "stage-names" }, this.title, this.song),
        h("button", { class: "stage-tuner-btn", "data-testid": "stage-tuner",
          onclick: () => this.toggleTuner() }, "Tuner")),
      this.tunerBox,
      h("section", { class: "stage-block stage-setlist" },
        h("div", { class: "stage-label" }, "Setlist",
          h("span", {},
            h("button", { class: "small", "data-testid": "stage-setlist-edit", title: "Songs, order and notes",
              onclick: () => actions.editSetlist() }, "Edit"), " ",
            h("button", { class: "small", "data-testid": "stage-setlist-add", title: "Add this board (and snapshot) as the next song",
              onclick: () => actions.addToSetlist() }, "+ this board"))),
        this.setlistSelect),
      h("section", { class: "stage-block" },
        h("div", { class: "stage-label" }, "Snapshots",
          h("button", { class: "small", "data-testid": "stage-save-snapshot",
            onclick: () => actions.saveSnapshot() }, "Save…")),
        this.snaps),
      h("section", { class: "stage-block" },
        h("div", { class: "stage-label" }, "Footswitches",
          h("button", { class: "small", "data-testid": "stage-choose",
            onclick: () => { this.choosing = !this.choosing; this.render(); } }, "Choose")),
        this.feet),
      h("footer", { class: "stage-foot" },
        big("stage-prev", "◀ Prev", () => actions.previous()),
        this.mute,
        big("stage-next", "Next ▶", () => actions.next())));
  }

  processing() {
    return this.store.state?.audio?.processing !== false;
  }

  get open() {
    return !this.root.hidden;
  }

  toggleTuner() {
    this.tunerBox.hidden = !this.tunerBox.hidden;
    if (!this.tunerBox.hidden && !this.live.tuner?.active) this.tuner.start();
  }

  /** The blocks with a footswitch here: the board's choice (saved with it, the same on every
   * device), or every block. */
  chosen(board) {
    if (Array.isArray(board.footswitches)) return board.footswitches;
    return board.plugins.map((p) => p.instance_id);
  }

  choose(board, id, on) {
    const ids = new Set(this.chosen(board).filter((i) => board.plugins.some((p) => p.instance_id === i)));
    if (on) ids.add(id); else ids.delete(id);
    board.footswitches = [...ids]; // at once here; the server's event confirms it everywhere
    this.actions.chooseFootswitches?.([...ids]);
    this.render();
  }

  /** Each footswitch's output level (a bar under its name, red after a clip), in place. */
  showLevels() {
    for (const el of this.feet.querySelectorAll("[data-testid=stage-footswitch]")) {
      const m = this.store.levels?.[el.dataset.instanceId];
      const level = el.querySelector("[data-testid=stage-level]");
      if (!level) continue;
      level.hidden = !m;
      if (!m) continue;
      const frac = Math.min(Math.max((m.output_db + 60) / 60, 0), 1);
      level.firstChild.style.width = `${(frac * 100).toFixed(1)}%`;
      level.dataset.clip = String(Boolean(m.output_clip));
    }
  }

  render() {
    if (!this.open) return;
    const board = this.store.board;
    const setlist = this.live.setlist || {};
    this.title.textContent = board.name || "untitled";
    const entry = setlist.id != null && setlist.position != null ? setlist.entries?.[setlist.position] : null;
    this.song.textContent = entry
      ? `${setlist.name} · ${setlist.position + 1}/${setlist.entries.length}${entry.note ? ` · ${entry.note}` : ""}`
      : "";
    clear(this.setlistSelect);
    this.setlistSelect.append(h("option", { value: "" }, "— no setlist (prev/next: snapshots) —"));
    for (const s of this.live.setlists || []) {
      this.setlistSelect.append(h("option", { value: s.id, selected: s.id === setlist.id }, `${s.name} (${s.entries})`));
    }
    clear(this.snaps);
    const snapshots = board.snapshots || [];
    snapshots.forEach((snap, i) => {
      const current = board.current_snapshot === i;
      this.snaps.append(h("button", { class: `stage-snapshot${current ? " current" : ""}`, "data-testid": "stage-snapshot",
        "data-index": i, "aria-pressed": String(current), onclick: () => this.actions.recall(i) },
      h("span", { class: "stage-num" }, String(i + 1)), h("span", {}, snap.name)));
    });
    if (!snapshots.length) this.snaps.append(h("p", { class: "muted" }, "No snapshots yet: set the sound, then Save…"));
    clear(this.feet);
    const chosen = new Set(this.chosen(board));
    for (const p of board.plugins) {
      if (this.choosing) {
        this.feet.append(h("label", { class: "stage-choice" },
          h("input", { type: "checkbox", checked: chosen.has(p.instance_id), "data-testid": "stage-choice",
            "data-instance-id": p.instance_id, onchange: (ev) => this.choose(board, p.instance_id, ev.target.checked) }),
          ` ${p.name}`));
      } else if (chosen.has(p.instance_id)) {
        this.feet.append(h("button", { class: `stage-foot-switch${p.enabled ? " on" : ""}`, "data-testid": "stage-footswitch",
          "data-instance-id": p.instance_id, "aria-pressed": String(p.enabled),
          onclick: () => this.actions.bypass(p.instance_id, p.enabled) },
        h("span", { class: "led" }), h("span", {}, p.name),
        h("span", { class: "stage-level", "data-testid": "stage-level" }, h("span", { class: "stage-level-bar" }))));
      }
    }
    const on = this.processing();
    this.mute.textContent = on ? "Mute" : "Muted";
    this.mute.dataset.state = on ? "on" : "off";
    this.mute.setAttribute("aria-pressed", String(!on));
    this.tuner.show(this.live.tuner);
    this.showLevels();
  }
}
