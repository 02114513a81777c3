// The top bar: pedalboard name and file actions, DSP load / xruns, engine and connection status.

import { h } from "./dom.js";
import { CLIENT_ID } from "./api.js";

const STATUS_TEXT = { open: "live", connecting: "connecting…", closed: "offline" };

/** actions: {rename(), create(), open(), save(), saveAs(), undo(), redo(), toggleBrowser(), processing(on)}. */
export class TopBar {
  constructor(root, store, actions) {
    this.store = store;
    const button = (testid, label, onclick, title) =>
      h("button", { "data-testid": testid, onclick, title: title || label }, label);
    this.name = h("button", { class: "board-name", "data-testid": "board-name", title: "Rename pedalboard",
      onclick: actions.rename }, "…");
    this.load = h("span", { "data-testid": "dsp-load" }, "–");
    this.xruns = h("span", { "data-testid": "xruns" }, "0");
    this.engine = h("span", { class: "engine", "data-testid": "engine-status" }, "engine");
    // Mute: stops every plugin's output (the engine's processing switch), and back.
    this.mute = h("button", { class: "mute", "data-testid": "processing", "data-state": "on",
      title: "Mute all plugins (processing on/off)",
      onclick: () => actions.processing(this.mute.dataset.state !== "on") }, "Mute");
    this.undoButton = h("button", { class: "icon-button", "data-testid": "undo", title: "Undo (Ctrl+Z)",
      "aria-label": "Undo", disabled: true, onclick: actions.undo }, "↶");
    this.redoButton = h("button", { class: "icon-button", "data-testid": "redo", title: "Redo (Ctrl+Shift+Z)",
      "aria-label": "Redo", disabled: true, onclick: actions.redo }, "↷");
    this.device = h("span", { class: "device", "data-testid": "audio-device", title: "Audio device" }, "");
    this.conn = h("span", { class: "conn", "data-testid": "connection-status", "data-state": "connecting" },
      STATUS_TEXT.connecting);
    root.append(
      h("button", { class: "drawer-toggle", "data-testid": "toggle-browser", title: "Plugins",
        onclick: actions.toggleBrowser }, "☰"),
      h("span", { class: "logo" }, "stompbox"),
      this.name,
      h("nav", { class: "edit-actions" }, this.undoButton, this.redoButton),
      h("nav", { class: "file-actions" },
        button("new-board", "New", actions.create, "New pedalboard"),
        button("open-board", "Open", actions.open, "Open a saved pedalboard"),
        button("save", "Save", actions.save, "Save (Ctrl+S)"),
        button("save-as", "Save as", actions.saveAs, "Save under a new name")),
      h("div", { class: "status" },
        h("span", { class: "stat", title: "DSP load" }, "DSP ", this.load),
        h("span", { class: "stat xruns-stat", title: "xruns" }, "xruns ", this.xruns),
        this.mute,
        this.device,
        this.engine,
        this.conn));
  }

  update() {
    const state = this.store.state;
    if (!state) return;
    const { undo, redo } = this.store.undoable(CLIENT_ID);
    this.undoButton.disabled = !undo;
    this.undoButton.title = undo ? `Undo “${undo.label}” (Ctrl+Z)` : "Nothing to undo";
    this.redoButton.disabled = !redo;
    this.redoButton.title = redo ? `Redo “${redo.label}” (Ctrl+Shift+Z)` : "Nothing to redo";
    const board = state.pedalboard;
    this.name.textContent = `${board.name || "untitled"}${state.modified ? " •" : ""}`;
    this.name.title = state.modified ? "Unsaved changes — click to rename" : "Rename pedalboard";
    this.name.dataset.name = board.name || "";
    document.title = `${board.name || "untitled"} — stompbox`;
    const audio = state.audio || {};
    const load = audio.dsp_load ?? audio.load;
    this.load.textContent = typeof load === "number" ? `${load.toFixed(1)}%` : "–";
    this.xruns.textContent = String(audio.xruns ?? 0);
    const on = Boolean(state.engine_connected);
    this.engine.textContent = on ? "engine ok" : "engine down";
    this.engine.dataset.state = on ? "ok" : "down";
    const device = audio.device || audio.driver || "";
    this.device.textContent = device;
    this.device.hidden = !device;
    const processing = audio.processing !== false;
    this.mute.dataset.state = processing ? "on" : "off";
    this.mute.textContent = processing ? "Mute" : "Muted";
    this.mute.setAttribute("aria-pressed", String(!processing));
    this.mute.title = `Mute all plugins (processing on/off)${device ? ` — audio device: ${device}` : ""}`;
  }

  setConnection(status) {
    this.conn.dataset.state = status;
    this.conn.textContent = STATUS_TEXT[status] || status;
  }
}
