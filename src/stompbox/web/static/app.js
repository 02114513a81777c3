// Start the web client: wire the store, the live socket, the canvas, the panels and the keyboard together.

import { api, query, pluginPath, LiveSocket, socketUrl } from "./api.js";
import { Store } from "./store.js";
import { Canvas } from "./canvas.js";
import { BLOCK_W } from "./layout.js";
import { ControlPanel } from "./controls.js";
import { PluginBrowser } from "./browser.js";
import { TopBar } from "./topbar.js";
import { askName, showBoards, toast } from "./dialogs.js";
import { Live } from "./live.js";

const RESYNC_RETRY_MS = 3000;

class App {
  constructor() {
    this.store = new Store();
    this.pending = new Map(); // "id\0symbol" → parameter change waiting for the next animation frame
    this.flushFrame = 0;
    this.resyncAt = 0;
    this.addCount = 0;
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
      toggleBrowser: () => document.body.classList.toggle("browser-open"),
      processing: (enabled) => this.call(api.put("/api/audio/processing", { enabled })),
    });
    this.live = new Live(this.store, $("topbar"), $("stage"));
    this.canvas = new Canvas($("board"), this.store, {
      connect: (source, target) => this.call(api.post("/api/pedalboard/connections", { source, target })),
      disconnect: (source, target) => this.call(api.del(`/api/pedalboard/connections${query({ source, target })}`)),
      move: (id, x, y) => this.call(api.put(`${pluginPath(id)}/position`, { x, y })),
      remove: (id) => this.removePlugin(id),
      bypass: (id, bypassed) => this.call(api.put(`${pluginPath(id)}/bypass`, { bypassed })),
      open: (id) => this.panel.open(id),
    });
    this.panel = new ControlPanel($("panel"), this.store, {
      setParameter: (id, symbol, value) => this.setParameter(id, symbol, value),
      bypass: (id, bypassed) => this.call(api.put(`${pluginPath(id)}/bypass`, { bypassed })),
      loadPreset: (id, uri) => this.call(api.post(`${pluginPath(id)}/preset`, { uri })),
      remove: (id) => this.removePlugin(id),
      presets: (uri) => api.get(`/api/plugins/presets${query({ uri })}`),
      info: (uri) => api.get(`/api/plugins/info${query({ uri })}`),
    });
    this.browser = new PluginBrowser($("browser"), { add: (uri, at) => this.addPlugin(uri, at) },
      () => this.canvas.svg);

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
    } else if (msg.type === "error") {
      toast(msg.message || "request failed");
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
    if (["state", "board", "moved"].includes(detail.kind)) this.canvas.schedule();
    if (["state", "audio", "engine", "meta"].includes(detail.kind)) this.topbar.update();
    this.panel.update(detail);
    this.live.onChange(detail);
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

  // client → server

  /** Run an API call; report a failure as a toast. Resolves to the result or undefined. */
  async call(promise) {
    try {
      return await promise;
    } catch (err) {
      toast(err.message);
      return undefined;
    }
  }

  /** Optimistic local update now; the newest value per parameter goes out once per animation frame. */
  setParameter(id, symbol, value) {
    this.store.setParameter(id, symbol, value);
    this.pending.set(`${id}\0${symbol}`, { instance_id: id, symbol, value });
    if (!this.flushFrame) this.flushFrame = requestAnimationFrame(() => this.flushParameters());
  }

  flushParameters() {
    this.flushFrame = 0;
    for (const change of this.pending.values()) {
      if (!this.socket.send({ type: "set_parameter", ...change })) {
        const path = `${pluginPath(change.instance_id)}/parameters/${encodeURIComponent(change.symbol)}`;
        this.call(api.put(path, { value: change.value }));
      }
    }
    this.pending.clear();
  }

  async addPlugin(uri, clientPoint) {
    let at;
    if (clientPoint) {
      const p = this.canvas.view.toBoard(clientPoint.x, clientPoint.y);
      at = { x: p.x - BLOCK_W / 2, y: p.y - 20 };
    } else {
      const c = this.canvas.view.center();
      const n = this.addCount++ % 6;
      at = { x: c.x - BLOCK_W / 2 + n * 30, y: c.y - 60 + n * 30 };
    }
    document.body.classList.remove("browser-open");
    await this.call(api.post("/api/pedalboard/plugins", { uri, x: Math.round(at.x), y: Math.round(at.y) }));
  }

  async removePlugin(id) {
    if (this.panel.id === id) this.panel.close();
    await this.call(api.del(pluginPath(id)));
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
      remove: (id) => this.call(api.del(`/api/pedalboards/${encodeURIComponent(id)}`)),
    });
  }

  async loadBoard(id) {
    this.panel.close();
    const result = await this.call(api.post(`/api/pedalboards/${encodeURIComponent(id)}/load`));
    if (result === undefined) return;
    if (result?.missing?.length) toast(`Missing plugins: ${result.missing.join(", ")}`);
    this.resync();
  }

  async save() {
    if (await this.call(api.post("/api/pedalboard/save")) !== undefined) {
      toast(`Saved “${this.store.board.name}”`, "info");
      this.resync();
    }
  }

  async saveAs() {
    const name = await askName("Save pedalboard as", this.store.board.name, "Save");
    if (!name) return;
    if (await this.call(api.post("/api/pedalboard/save-as", { name })) !== undefined) {
      toast(`Saved “${name}”`, "info");
      this.resync();
    }
  }

  // keyboard

  onKey(ev) {
    const editing = ev.target.closest?.("input, select, textarea, dialog, .panel");
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") {
      ev.preventDefault();
      this.save();
    } else if (ev.key === "Escape" && !document.querySelector("dialog[open]")) {
      if (this.panel.isOpen) this.panel.close();
      else if (document.body.classList.contains("browser-open")) document.body.classList.remove("browser-open");
      else this.canvas.select(null);
    } else if ((ev.key === "Delete" || ev.key === "Backspace") && !editing) {
      if (this.canvas.deleteSelection()) ev.preventDefault();
    }
  }
}

new App().start();
