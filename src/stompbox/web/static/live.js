// Playing live in the client: the stage view, the tuner in the top bar, snapshots/setlist events.

import { api } from "./api.js";
import { h } from "./dom.js";
import { askName, toast } from "./dialogs.js";
import { FilePicker } from "./files.js";
import { MidiDialog } from "./midi.js";
import { StageView } from "./stage.js";
import { TunerView } from "./tuner.js";

const LOAD_POLL_MS = 2000; // xruns since the board loaded: asked, not pushed

/** Owns the live-play state ({setlist, tuner, load}) and the views that show it. */
export class Live {
  constructor(store, topbarRoot, stageRoot) {
    this.store = store;
    this.setlist = {};
    this.setlists = [];
    this.tuner = { active: false };
    this.load = null;
    const call = async (promise) => {
      try {
        return await promise;
      } catch (err) {
        toast(err.message);
        return undefined;
      }
    };
    this.call = call;
    const tunerActions = {
      start: (opts) => call(api.post("/api/tuner/start", opts)).then((r) => r && this.onTuner(r)),
      stop: () => call(api.post("/api/tuner/stop")).then((r) => r && this.onTuner(r)),
    };
    this.stage = new StageView(stageRoot, store, this, {
      recall: (i) => call(api.post(`/api/snapshots/${i}/recall`)),
      saveSnapshot: () => this.saveSnapshot(),
      bypass: (id, bypassed) => call(api.put(`/api/pedalboard/plugins/${encodeURIComponent(id)}/bypass`, { bypassed })),
      mute: (on) => call(api.put("/api/audio/processing", { enabled: !on })),
      next: () => this.step(1),
      previous: () => this.step(-1),
      tunerStart: tunerActions.start,
      tunerStop: tunerActions.stop,
      close: () => this.showStage(false),
      chooseSetlist: (id) => this.chooseSetlist(id),
      addToSetlist: () => this.addToSetlist(),
      chooseFootswitches: (ids) => call(api.put("/api/stage/footswitches", { ids })),
      editSetlist: () => this.editSetlist(),
    });
    // top bar: stage view, tuner (a drop-down), xruns since the board loaded
    this.topTuner = new TunerView(tunerActions, { compact: true });
    this.tunerPop = h("div", { class: "tuner-pop", "data-testid": "tuner-pop", hidden: true }, this.topTuner.el);
    this.level = h("button", { class: "level-meter", "data-testid": "open-meter", title: "Board output level (click: on/off)",
      "data-state": "off", onclick: () => this.toggleMeter() }, "Level");
    this.rate = h("span", { class: "stat", "data-testid": "xrun-rate", title: "xruns since the board loaded" }, "");
    this.midi = new MidiDialog(store, call);
    this.files = new FilePicker(document.getElementById("panel"), store, call);
    const status = topbarRoot.querySelector(".status") || topbarRoot;
    status.prepend(
      h("button", { class: "midi-open", "data-testid": "open-midi", title: "MIDI bindings and learn",
        onclick: () => this.midi.open() }, "MIDI"),
      h("button", { class: "stage-open", "data-testid": "open-stage", title: "Stage view",
        onclick: () => this.showStage(true) }, "Stage"),
      h("button", { class: "tuner-open", "data-testid": "open-tuner", title: "Tuner",
        onclick: () => { this.tunerPop.hidden = !this.tunerPop.hidden; } }, "Tuner"),
      this.level,
      this.rate);
    topbarRoot.append(this.tunerPop);
    if (location.hash === "#stage") this.showStage(true);
    window.addEventListener("hashchange", () => this.showStage(location.hash === "#stage"));
    setInterval(() => this.pollLoad(), LOAD_POLL_MS);
  }

  showStage(on) {
    this.stage.root.hidden = !on;
    document.body.classList.toggle("stage-mode", on);
    if (on) {
      if (location.hash !== "#stage") history.replaceState(null, "", "#stage");
      this.refresh();
    } else if (location.hash === "#stage") {
      history.replaceState(null, "", location.pathname + location.search);
    }
    this.stage.render();
  }

  async refresh() {
    const [setlist, tuner, setlists] = await Promise.all([
      api.get("/api/setlist").catch(() => ({})),
      api.get("/api/tuner").catch(() => ({ active: false })),
      api.get("/api/setlists").catch(() => []),
    ]);
    this.setlist = setlist || {};
    this.setlists = setlists || [];
    this.onTuner(tuner);
  }

  /** Ask for a name and what the snapshot covers (plugins, parameters, bypass), then save it. */
  async saveSnapshot() {
    const board = this.store.board;
    const choice = await askSnapshot(board);
    if (!choice) return;
    const existing = (board.snapshots || []).findIndex((s) => s.name === choice.name);
    const body = { name: choice.name, bypass: choice.bypass };
    if (existing >= 0) body.index = existing;
    if (choice.include) body.include = choice.include;
    await this.call(api.post("/api/snapshots", body));
  }

  async chooseSetlist(id) {
    if (id) await this.call(api.post(`/api/setlists/${encodeURIComponent(id)}/go/0`));
    else await this.call(api.post("/api/setlist/leave"));
    await this.refresh();
    this.stage.render();
  }

  /** Append the current board (at its current snapshot) to the setlist, or start a new one. */
  async addToSetlist() {
    const board = this.store.board;
    const entry = { board: board.id };
    if (board.current_snapshot !== null && board.current_snapshot !== undefined) entry.snapshot = board.current_snapshot;
    if (this.setlist?.id) {
      const entries = [...(this.setlist.entries || []), entry];
      await this.call(api.patch(`/api/setlists/${encodeURIComponent(this.setlist.id)}`, { entries }));
    } else {
      const name = await askName("New setlist", "Setlist", "Create");
      if (!name) return;
      const created = await this.call(api.post("/api/setlists", { name, entries: [entry] }));
      if (created) await this.call(api.post(`/api/setlists/${encodeURIComponent(created.id)}/go/0`));
    }
    await this.refresh();
    this.stage.render();
  }

  /** The active setlist's songs: reorder, remove, write a note per song. */
  async editSetlist() {
    if (!this.setlist?.id) {
      toast("Choose or start a setlist first");
      return;
    }
    const boards = new Map(((await api.get("/api/pedalboards").catch(() => [])) || []).map((b) => [b.id, b.name]));
    const entries = (this.setlist.entries || []).map((e) => ({ ...e }));
    const list = h("ol", { class: "setlist-edit", "data-testid": "setlist-entries" });
    const render = () => {
      list.replaceChildren(...entries.map((e, i) => {
        const note = h("input", { type: "text", value: e.note || "", maxlength: 1000, placeholder: "note",
          "data-testid": "setlist-note", oninput: () => { e.note = note.value; } });
        const move = (d) => { const j = i + d; if (j < 0 || j >= entries.length) return; [entries[i], entries[j]] = [entries[j], entries[i]]; render(); };
        return h("li", { "data-testid": "setlist-entry" },
          h("span", { class: "setlist-board" }, boards.get(e.board) || e.board,
            e.snapshot != null ? ` · snapshot ${e.snapshot + 1}` : ""),
          note,
          h("button", { class: "small", title: "Earlier", onclick: () => move(-1) }, "↑"),
          h("button", { class: "small", title: "Later", onclick: () => move(1) }, "↓"),
          h("button", { class: "small danger", title: "Remove", "data-testid": "setlist-remove",
            onclick: () => { entries.splice(i, 1); render(); } }, "✕"));
      }));
    };
    render();
    const dialog = h("dialog", { class: "modal", "data-testid": "setlist-dialog" },
      h("h2", {}, this.setlist.name), list,
      h("div", { class: "dialog-buttons" },
        h("button", { onclick: () => dialog.close() }, "Cancel"),
        h("button", { class: "primary", "data-testid": "setlist-save", onclick: async () => {
          const body = { entries: entries.map(({ board, snapshot, note }) => (
            snapshot == null ? { board, note: note || "" } : { board, snapshot, note: note || "" })) };
          if (await this.call(api.patch(`/api/setlists/${encodeURIComponent(this.setlist.id)}`, body))) {
            dialog.close();
            await this.refresh();
            this.stage.render();
          }
        } }, "Save")));
    document.body.append(dialog);
    dialog.addEventListener("close", () => dialog.remove());
    dialog.showModal();
  }

  step(delta) {
    const path = this.setlist?.id ? "/api/setlist" : "/api/snapshots";
    return this.call(api.post(`${path}/${delta > 0 ? "next" : "previous"}`));
  }

  async pollLoad() {
    if (document.hidden) return;
    const data = await api.get("/api/load").catch(() => null);
    if (!data) return;
    this.load = data;
    this.rate.textContent = `${data.xruns} xr · ${Number(data.xruns_per_minute).toFixed(1)}/min`;
  }

  async toggleMeter() {
    const on = this.level.dataset.state === "on";
    const reading = await this.call(api.post(`/api/meter/${on ? "stop" : "start"}`));
    if (reading) this.onMeter(reading);
  }

  onMeter(m) {
    this.level.dataset.state = m.active ? "on" : "off";
    this.level.dataset.clip = String(Boolean(m.clip));
    this.level.textContent = m.active ? `${Number(m.peak_db).toFixed(1)} dB (${Number(m.hold_db).toFixed(1)})` : "Level";
  }

  onTuner(reading) {
    this.tuner = reading || { active: false };
    this.topTuner.show(this.tuner);
    this.stage.tuner.show(this.tuner);
  }

  /** Every message of the socket, after the store applied it. */
  onMessage(msg) {
    if (msg.type === "state") {
      this.refresh().then(() => this.stage.render());
      return;
    }
    if (msg.type !== "event") return;
    const data = msg.data || {};
    const board = this.store.state?.pedalboard;
    this.midi.onEvent(msg);
    switch (msg.event) {
      case "snapshots_changed":
        if (board) {
          board.snapshots = data.snapshots || [];
          board.current_snapshot = data.current ?? null;
        }
        break;
      case "footswitches_changed":
        if (board) board.footswitches = data.ids ?? null;
        break;
      case "setlist_changed":
        this.setlist = data;
        break;
      case "tuner":
        this.onTuner(data);
        return;
      case "meters":
        this.onMeter(data);
        return;
      case "pedalboard_loaded":
        if (board && data.pedalboard) {
          board.snapshots = data.pedalboard.snapshots || [];
          board.current_snapshot = data.pedalboard.current_snapshot ?? null;
        }
        break;
      default:
        break;
    }
    if (this.stage.open) this.stage.render();
  }

  /** A store change (the board, a bypass, the audio state). */
  onChange(detail) {
    if (detail?.kind === "levels") { // ~10 a second: the stage's level bars only, no redraw
      if (this.stage.open) this.stage.showLevels();
      return;
    }
    if (this.stage.open) this.stage.render();
  }
}

/** The save-snapshot dialog: resolves to {name, include (null = every parameter), bypass} or null. */
function askSnapshot(board) {
  return new Promise((resolve) => {
    const n = (board.snapshots || []).length + 1;
    const name = h("input", { type: "text", value: `Snapshot ${n}`, maxlength: 100, required: true,
      "data-testid": "dialog-input", "aria-label": "Snapshot name" });
    const bypass = h("input", { type: "checkbox", checked: true, "data-testid": "snapshot-bypass" });
    const boxes = [];
    const plugins = board.plugins.map((p) => {
      const params = Object.keys(p.parameters || {}).map((sym) => {
        const box = h("input", { type: "checkbox", checked: true, "data-testid": "snapshot-param",
          "data-address": `${p.instance_id}:${sym}` });
        boxes.push(box);
        return h("label", { class: "snap-param" }, box, ` ${p.available_parameters?.[sym]?.name || sym}`);
      });
      const all = h("input", { type: "checkbox", checked: true, "data-testid": "snapshot-plugin",
        "data-instance-id": p.instance_id,
        onchange: () => { for (const l of params) l.querySelector("input").checked = all.checked; } });
      return h("details", { class: "snap-plugin" },
        h("summary", {}, h("label", {}, all, ` ${p.name}`)), ...params);
    });
    let result = null;
    const form = h("form", { method: "dialog", onsubmit: () => {
      const chosen = boxes.filter((b) => b.checked).map((b) => b.dataset.address);
      result = { name: name.value.trim(), bypass: bypass.checked,
        include: chosen.length === boxes.length ? null : chosen };
      if (!result.name) result = null;
    } },
    h("h2", {}, "Save snapshot"), name,
    h("p", { class: "muted" }, "Covers the checked parameters; recalling it changes only those."),
    h("div", { class: "snap-plugins" }, ...plugins),
    h("label", {}, bypass, " include bypass states"),
    h("div", { class: "dialog-buttons" },
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel"),
      h("button", { type: "submit", class: "primary", "data-testid": "dialog-ok" }, "Save")));
    const dialog = h("dialog", { class: "modal", "data-testid": "dialog" }, form);
    document.body.append(dialog);
    dialog.addEventListener("close", () => { dialog.remove(); resolve(result); });
    dialog.showModal();
    name.select();
  });
}
