// Playing live in the client: the stage view, the tuner in the top bar, snapshots/setlist events.

import { api } from "./api.js";
import { h } from "./dom.js";
import { askName, toast } from "./dialogs.js";
import { MidiDialog } from "./midi.js";
import { StageView } from "./stage.js";
import { TunerView } from "./tuner.js";

/** Owns the live-play state ({setlist, tuner, load}) and the views that show it. */
export class Live {
  constructor(store, topbarRoot, stageRoot) {
    this.store = store;
    this.setlist = {};
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
    });
    // top bar: stage view, tuner (a drop-down), xruns since the board loaded
    this.topTuner = new TunerView(tunerActions, { compact: true });
    this.tunerPop = h("div", { class: "tuner-pop", "data-testid": "tuner-pop", hidden: true }, this.topTuner.el);
    this.rate = h("span", { class: "stat", "data-testid": "xrun-rate", title: "xruns since the board loaded" }, "");
    this.midi = new MidiDialog(store, call);
    const status = topbarRoot.querySelector(".status") || topbarRoot;
    status.prepend(
      h("button", { class: "midi-open", "data-testid": "open-midi", title: "MIDI bindings and learn",
        onclick: () => this.midi.open() }, "MIDI"),
      h("button", { class: "stage-open", "data-testid": "open-stage", title: "Stage view",
        onclick: () => this.showStage(true) }, "Stage"),
      h("button", { class: "tuner-open", "data-testid": "open-tuner", title: "Tuner",
        onclick: () => { this.tunerPop.hidden = !this.tunerPop.hidden; } }, "Tuner"),
      this.rate);
    topbarRoot.append(this.tunerPop);
    if (location.hash === "#stage") this.showStage(true);
    window.addEventListener("hashchange", () => this.showStage(location.hash === "#stage"));
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
    const [setlist, tuner] = await Promise.all([
      api.get("/api/setlist").catch(() => ({})),
      api.get("/api/tuner").catch(() => ({ active: false })),
    ]);
    this.setlist = setlist || {};
    this.onTuner(tuner);
  }

  async saveSnapshot() {
    const board = this.store.board;
    const n = (board.snapshots || []).length + 1;
    const name = await askName("Save snapshot", `Snapshot ${n}`, "Save");
    if (!name) return;
    const existing = (board.snapshots || []).findIndex((s) => s.name === name);
    const index = existing >= 0 ? existing : undefined;
    await this.call(api.post("/api/snapshots", index === undefined ? { name } : { name, index }));
  }

  step(delta) {
    const path = this.setlist?.id ? "/api/setlist" : "/api/snapshots";
    return this.call(api.post(`${path}/${delta > 0 ? "next" : "previous"}`));
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
      case "setlist_changed":
        this.setlist = data;
        break;
      case "tuner":
        this.onTuner(data);
        return;
      case "load_stats":
        this.load = data;
        this.rate.textContent = `${data.xruns} xr · ${Number(data.xruns_per_minute).toFixed(1)}/min`;
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
  onChange() {
    if (this.stage.open) this.stage.render();
  }
}
