// Start the web client: wire the store, the live socket, the canvas, the panels and the keyboard together.

import { api, query, pluginPath, LiveSocket, socketUrl, CLIENT_ID, newGesture } from "./api.js";
import { Store } from "./store.js";
import { Canvas } from "./canvas.js";
import { dspText } from "./blocks.js";
import { showMeter } from "./meters.js";
import { blockRect, freeSpot, infoAsInstance } from "./layout.js";
import { ControlPanel } from "./controls.js";
import { PluginBrowser } from "./browser.js";
import { TopBar } from "./topbar.js";
import { ask, askName, showBoards, toast } from "./dialogs.js";
import { Wiring } from "./wiring.js";
import { showShortcuts } from "./shortcuts.js";
import { Live } from "./live.js";
import { Notices } from "./notices.js";

const RESYNC_RETRY_MS = 3000;
const WHEEL_GESTURE_MS = 700; // knob changes this close together (wheel, arrow keys) make one undo entry

class App {
  constructor() {
    this.store = new Store();
    this.pending = new Map(); // "id\0symbol" → parameter change waiting for the next animation frame
    this.flushFrame = 0;
    this.resyncAt = 0;
    this.gesture = null; // the knob drag in progress: {id}
    this.lastChange = { key: "", time: 0, gesture: "" };
    const $ = (id) => document.getElementById(id);

    this.socket = new LiveSocket(socketUrl(), {
      onmessage: (msg) => this.onMessage(msg),
      onstatus: (status) => this.topbar.setConnection(status),
    });
    this.topbar = new TopBar($("topbar"), this.store, {
      rename: () => this.rename(),
      create: () => this.createBoard(),
      open: () => this.openBoards(),
      save: () => this.save(),
      saveAs: () => this.saveAs(),
      undo: () => this.undo(),
      redo: () => this.redo(),
      toggleBrowser: () => document.body.classList.toggle("browser-open"),
      processing: (enabled) => this.call(api.put("/api/audio/processing", { enabled })),
    });
    this.live = new Live(this.store, $("topbar"), $("stage"));
    this.notices = new Notices($("notices"), this.store, (m) => this.humanize(m));
    this.canvas = new Canvas($("board"), this.store, {
      connect: (source, target) => this.call(api.post("/api/pedalboard/connections", { source, target })),
      disconnect: (source, target) => this.call(api.del(`/api/pedalboard/connections${query({ source, target })}`)),
      move: (id, x, y) => this.call(api.put(`${pluginPath(id)}/position`, { x, y })),
      remove: (id) => this.removePlugin(id),
      bypass: (id, bypassed) => this.call(api.put(`${pluginPath(id)}/bypass`, { bypassed })),
      open: (id) => this.panel.open(id),
      setParameter: (id, symbol, value) => this.setParameter(id, symbol, value),
      gesture: (on) => this.markGesture(on),
      refuse: (message, kind = "error") => toast(message, kind),
    });
    this.panel = new ControlPanel($("panel"), this.store, {
      setParameter: (id, symbol, value) => this.setParameter(id, symbol, value),
      gesture: (on) => this.markGesture(on),
      bypass: (id, bypassed) => this.call(api.put(`${pluginPath(id)}/bypass`, { bypassed })),
      loadPreset: (id, uri) => this.call(api.post(`${pluginPath(id)}/preset`, { uri })),
      savePreset: (id, label) => this.call(api.post(`${pluginPath(id)}/presets`, { label })),
      deletePreset: (uri) => this.call(api.del(`/api/plugins/presets${query({ uri })}`)),
      remove: (id) => this.removePlugin(id),
      presets: (uri) => api.get(`/api/plugins/presets${query({ uri })}`),
      info: (uri) => api.get(`/api/plugins/info${query({ uri })}`),
      setKnobs: (id, knobs) => this.call(api.put(`${pluginPath(id)}/knobs`, { knobs })),
      close: () => this.canvas.reveal(null),
      shown: (id) => this.canvas.reveal(id),
    });
    this.wiring = new Wiring(this.store, this.canvas);
    this.browser = new PluginBrowser($("browser"), { add: (uri, at) => this.addPlugin(uri, at) },
      () => this.canvas.svg);

    this.canvas.category = (uri) => this.browser.categories.get(uri) || "";
    this.browser.onCategories = () => this.canvas.schedule();
    this.store.addEventListener("change", (ev) => this.onChange(ev.detail));
    document.addEventListener("keydown", (ev) => this.onKey(ev));
    setInterval(() => this.checkResync(), RESYNC_RETRY_MS);
  }

  start() {
    this.socket.start();
    this.browser.start();
  }

  // server → client

  onMessage(msg) {
    if (msg.type === "state") {
      this.store.setState(msg.state);
    } else if (msg.type === "event") {
      if (this.store.apply(msg) === "resync") this.resync();
      if (msg.event === "plugin_died") toast(`${msg.data?.name || "A plugin"} crashed; restarting it`);
    } else if (msg.type === "error") {
      toast(this.humanize(msg.message || "request failed"));
    }
    this.live.onMessage(msg);
  }

  resync() {
    this.store.waiting = true;
    this.resyncAt = performance.now();
    this.socket.send({ type: "resync" });
  }

  checkResync() {
    if (this.store.waiting && this.socket.open && performance.now() - this.resyncAt > RESYNC_RETRY_MS) this.resync();
  }

  onChange(detail) {
    if (detail.kind === "state") {
      this.loadSystemPorts();
      if (this.store.board.id !== this.boardId) this.canvas.fitted = false; // another board: show it whole
      this.boardId = this.store.board.id;
    }
    if (["state", "board", "moved", "param", "knobs"].includes(detail.kind)) this.canvas.schedule();
    if (detail.kind === "dsp") this.showDsp(detail.id);
    if (detail.kind === "levels") this.showLevels();
    if (["state", "audio", "engine", "meta", "history"].includes(detail.kind)) this.topbar.update();
    if (["state", "pending", "warnings"].includes(detail.kind)) this.notices.update();
    this.panel.update(detail);
    this.live.onChange(detail);
  }

  /** Update one block's DSP share in place (it comes every 0.5 s: no redraw of the board). */
  showDsp(id) {
    for (const block of document.querySelectorAll('[data-testid="block"]')) {
      if (block.dataset.instanceId !== id) continue;
      const label = block.querySelector('[data-testid="block-dsp"]');
      if (label) label.textContent = dspText(this.store.dsp[id]);
    }
  }

  /** Update every block's level meter in place (about 10 times a second while Level is on). */
  showLevels() {
    for (const block of document.querySelectorAll('[data-testid="block"]')) {
      const g = block.querySelector('[data-testid="block-meter"]');
      if (g) showMeter(g, this.store.levels[block.dataset.instanceId]);
    }
  }

  async loadSystemPorts() {
    let ports;
    try {
      ports = await api.get("/api/audio/ports");
    } catch {
      return;
    }
    const system = ports
      .filter((p) => p.system !== false && (p.type === "audio" || p.type === "midi"))
      .map((p) => ({ address: p.name.includes(":") ? p.name : `system:${p.name}`, type: p.type, direction: p.direction }))
      .filter((p) => p.address.startsWith("system:"));
    this.canvas.setSystemPorts(system);
  }

  /** Messages name plugins and boards, not internal ids ("amp_1:in" → "Amp In"). */
  humanize(message) {
    let text = String(message);
    const plugins = [...this.store.board.plugins].sort((a, b) => b.instance_id.length - a.instance_id.length);
    for (const p of plugins) {
      text = text.replace(new RegExp(`\\b${p.instance_id}:([A-Za-z0-9_]+)`, "g"), (_, sym) =>
        `${p.name} ${(p.ports?.[sym] || p.available_parameters?.[sym])?.name || sym}`);
      text = text.split(`'${p.instance_id}'`).join(`“${p.name}”`);
    }
    const board = this.store.board;
    if (board.id) text = text.split(`pedalboard '${board.id}'`).join(`board “${board.name}”`);
    return text.replace(/system:capture_(\d+)/g, "capture $1").replace(/system:playback_(\d+)/g, "playback $1");
  }

  // client → server

  /** Run an API call; report a failure as a toast. Resolves to the result or undefined. */
  async call(promise) {
    try {
      return await promise;
    } catch (err) {
      toast(this.humanize(err.message));
      return undefined;
    }
  }

  /** A knob drag (or value entry) starts/ends: its values make one undo entry. */
  markGesture(on) {
    this.gesture = on ? newGesture() : null;
  }

  gestureFor(id, symbol) {
    if (this.gesture) return this.gesture;
    const key = `${id}\0${symbol}`;
    const now = performance.now();
    const last = this.lastChange;
    const gesture = last.key === key && now - last.time < WHEEL_GESTURE_MS ? last.gesture : newGesture();
    this.lastChange = { key, time: now, gesture };
    return gesture;
  }

  /** Optimistic local update now; the newest value per parameter goes out once per animation frame. */
  setParameter(id, symbol, value) {
    this.store.setParameter(id, symbol, value);
    const gesture = this.gestureFor(id, symbol);
    this.pending.set(`${id}\0${symbol}`, { instance_id: id, symbol, value, client: CLIENT_ID, gesture });
    if (!this.flushFrame) this.flushFrame = requestAnimationFrame(() => this.flushParameters());
  }

  flushParameters() {
    this.flushFrame = 0;
    for (const change of this.pending.values()) {
      if (!this.socket.send({ type: "set_parameter", ...change })) {
        const path = `${pluginPath(change.instance_id)}/parameters/${encodeURIComponent(change.symbol)}`;
        this.call(api.put(path, { value: change.value, gesture: change.gesture }));
      }
    }
    this.pending.clear();
  }

  /**
   * Add a plugin where it overlaps nothing: dropped on a cable it is spliced into it; otherwise
   * after the selected block, or at the end of the chain, wired in; a board's first plugin is
   * wired capture → it → playback.
   */
  addPlugin(uri, clientPoint) {
    document.body.classList.remove("browser-open");
    // one add at a time: the next one is planned on the board the previous one left
    this.adding = (this.adding || Promise.resolve()).then(() => this.addNow(uri, clientPoint));
    return this.adding;
  }

  async addNow(uri, clientPoint) {
    let info;
    try {
      info = await api.get(`/api/plugins/info${query({ uri })}`);
    } catch (err) {
      toast(this.humanize(err.message));
      return;
    }
    const plan = this.wiring.plan(info, clientPoint, this.canvas.selectedBlock());
    const height = blockRect(infoAsInstance(info)).h;
    const at = freeSpot(this.store.board.plugins, plan.x, plan.y, height);
    const body = { uri, x: at.x, y: at.y };
    if (plan.splice.connect.length || plan.splice.disconnect.length) body.splice = plan.splice;
    const selected = this.canvas.selection;
    const added = await this.call(api.post("/api/pedalboard/plugins", body));
    if (!added?.instance_id) return;
    await this.until(() => this.store.plugin(added.instance_id)
      && (body.splice?.connect || []).every((c) => this.store.board.connections.some((k) =>
        k.source === c.source.replace("@new:", `${added.instance_id}:`)
        && k.target === c.target.replace("@new:", `${added.instance_id}:`))));
    // the new block becomes the selection (the next add goes after it), unless the user chose
    // something else meanwhile
    if (this.canvas.selection === selected) this.canvas.select({ kind: "block", id: added.instance_id });
  }

  /** Resolve once `predicate()` holds (checked each frame), or after `ms` regardless. */
  until(predicate, ms = 3000) {
    const end = performance.now() + ms;
    return new Promise((resolve) => {
      const check = () => (predicate() || performance.now() > end ? resolve() : requestAnimationFrame(check));
      check();
    });
  }

  /** Remove a block; the toast offers Undo, and to reconnect its neighbours when it sat in a chain. */
  async removePlugin(id) {
    const inst = this.store.plugin(id);
    if (!inst) return;
    if (this.panel.id === id) this.panel.close();
    const bridge = this.wiring.bypassCables(inst);
    if (await this.call(api.del(pluginPath(id))) === undefined) return;
    const actions = [{ label: "Undo", run: () => this.undo() }];
    if (bridge.length) {
      actions.push({ label: "Reconnect", run: async () => {
        for (const [source, target] of bridge) {
          await this.call(api.post("/api/pedalboard/connections", { source, target }));
        }
      } });
    }
    toast(`Removed “${inst.name}”`, "info", actions);
  }

  async undo() {
    const result = await this.call(api.post("/api/history/undo"));
    if (result) toast(result.done ? `Undid “${result.label}”` : "Nothing to undo", "info");
  }

  async redo() {
    const result = await this.call(api.post("/api/history/redo"));
    if (result) toast(result.done ? `Redid “${result.label}”` : "Nothing to redo", "info");
  }

  /** Unsaved changes? Ask to save, discard or cancel before `what`; true to go on. */
  async guardUnsaved(what) {
    if (!this.store.state?.modified) return true;
    const name = this.store.board.name || "this board";
    const choice = await ask("Unsaved changes", `“${name}” has unsaved changes. Save them before ${what}?`, [
      { key: "save", label: "Save", primary: true },
      { key: "discard", label: "Discard changes", danger: true },
      { key: "cancel", label: "Cancel" },
    ]);
    if (choice === "save") return this.save();
    return choice === "discard";
  }

  async rename() {
    const board = this.store.board;
    const name = await askName("Rename pedalboard", board.name, "Rename");
    if (!name || name === board.name) return;
    if (await this.call(api.patch(`/api/pedalboards/${encodeURIComponent(board.id)}`, { name })) !== undefined) {
      this.resync();
    }
  }

  async createBoard() {
    if (!(await this.guardUnsaved("starting a new board"))) return;
    const name = await askName("New pedalboard", "", "Create");
    if (!name) return;
    this.panel.close();
    if (await this.call(api.post("/api/pedalboards", { name })) !== undefined) this.resync();
  }

  async openBoards() {
    const boards = await this.call(api.get("/api/pedalboards"));
    if (!boards) return;
    showBoards(boards, this.store.board.id, {
      open: (id) => this.loadBoard(id),
      remove: async (id) => (await this.call(api.del(`/api/pedalboards/${encodeURIComponent(id)}`))) !== undefined,
    });
  }

  async loadBoard(id) {
    if (!(await this.guardUnsaved("opening another board"))) return;
    this.panel.close();
    const result = await this.call(api.post(`/api/pedalboards/${encodeURIComponent(id)}/load`));
    if (result === undefined) return;
    if (result?.missing?.length) toast(`Missing plugins: ${result.missing.join(", ")}`);
    this.resync();
  }

  async save() {
    if (await this.call(api.post("/api/pedalboard/save")) === undefined) return false;
    toast(`Saved “${this.store.board.name}”`, "info");
    this.resync();
    return true;
  }

  async saveAs() {
    const name = await askName("Save pedalboard as", this.store.board.name, "Save");
    if (!name) return;
    const boards = (await this.call(api.get("/api/pedalboards"))) || [];
    const same = boards.find((b) => b.name.toLocaleLowerCase() === name.toLocaleLowerCase());
    if (same && same.id === this.store.board.id) return this.save();
    if (same) {
      const choice = await ask("Replace?", `A pedalboard named “${same.name}” exists already. Replace it?`, [
        { key: "replace", label: "Replace", danger: true },
        { key: "cancel", label: "Cancel" },
      ]);
      if (choice !== "replace") return;
      if (await this.call(api.del(`/api/pedalboards/${encodeURIComponent(same.id)}`)) === undefined) return;
    }
    if (await this.call(api.post("/api/pedalboard/save-as", { name })) !== undefined) {
      toast(`Saved “${name}”`, "info");
      this.resync();
    }
  }

  // keyboard

  onKey(ev) {
    const typing = ev.target.closest?.("input, select, textarea");
    const inDialog = Boolean(document.querySelector("dialog[open]"));
    const mod = ev.ctrlKey || ev.metaKey;
    const key = ev.key.toLowerCase();
    if (mod && key === "s") {
      ev.preventDefault();
      this.save();
    } else if (mod && !typing && !inDialog && (key === "z" || key === "y")) {
      ev.preventDefault();
      if (key === "y" || ev.shiftKey) this.redo();
      else this.undo();
    } else if (ev.key === "Escape" && !inDialog) {
      if (this.panel.isOpen) this.panel.close();
      else if (document.body.classList.contains("browser-open")) document.body.classList.remove("browser-open");
      else this.canvas.select(null);
    } else if (typing || inDialog || ev.target.closest?.(".panel")) {
      // keys belong to the field or dialog
    } else if (ev.key === "Delete" || ev.key === "Backspace") {
      const focused = ev.target.closest?.("[data-testid=block]")?.dataset.instanceId;
      if (focused && this.canvas.selectedBlock() !== focused) this.canvas.select({ kind: "block", id: focused });
      if (this.canvas.deleteSelection()) ev.preventDefault();
    } else if (ev.key === "?") {
      showShortcuts();
    } else if (this.canvas.onKey(ev)) {
      ev.preventDefault();
    }
  }
}

new App().start();
