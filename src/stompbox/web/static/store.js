// The client's copy of the session state: set from a `state` message, then patched by the events after it.

/** Events that change the board against its saved file (the top bar marks it unsaved). */
const MODIFYING = new Set([
  "plugin_loaded", "plugin_unloaded", "parameter_changed", "connection_created", "connection_removed",
  "plugin_bypassed", "plugin_moved", "preset_loaded", "plugin_knobs", "board_pending",
]);
const MAX_WARNINGS = 20;

/**
 * Holds {pedalboard, seq, engine_connected, audio, saved}. `apply(msg)` returns "applied", "stale"
 * (an event the last state already holds), or "resync" (an event it does not understand): the caller
 * then sends {"type": "resync"} and events are ignored until the next `state` arrives.
 * Listeners get a `change` event with detail {kind, id?, symbol?}; kind is one of
 * "state" | "board" | "param" | "output" | "audio" | "engine" | "moved" | "meta" (name, saved flag)
 * | "history" (the undo entries changed) | "knobs" (the controls a block shows)
 * | "pending" (what the board keeps pending) | "warnings" (the session's warnings).
 */
export class Store extends EventTarget {
  constructor() {
    super();
    this.state = null;
    this.seq = 0;
    this.waiting = true; // until a state arrives
    this.dsp = {}; // instance_id → its DSP share of the JACK period in % (dsp_load events)
    this.levels = {}; // instance_id → its meter reading (block_meters events, while Level is on)
  }

  get board() {
    return this.state?.pedalboard ?? { id: "", name: "", plugins: [], connections: [] };
  }

  /** This client's next undo and redo entries ({label} or null) from the board's history. */
  undoable(client) {
    const mine = (this.state?.history || []).filter((e) => e.client === client);
    const done = mine.filter((e) => !e.undone);
    const undone = mine.filter((e) => e.undone);
    return { undo: done[done.length - 1] || null, redo: undone[0] || null };
  }

  plugin(id) {
    return this.board.plugins.find((p) => p.instance_id === id);
  }

  emit(kind, extra = {}) {
    this.dispatchEvent(new CustomEvent("change", { detail: { kind, ...extra } }));
  }

  setState(state) {
    const pb = state.pedalboard || {};
    pb.plugins ||= [];
    pb.connections ||= [];
    state.pedalboard = pb;
    state.audio ||= {};
    state.history ||= [];
    state.warnings ||= [];
    const crashed = new Set(state.crashed || []); // lost by the engine, not restored yet
    for (const p of pb.plugins) if (crashed.has(p.instance_id)) p.crashed = true;
    this.state = state;
    this.seq = state.seq ?? 0;
    this.waiting = false;
    this.emit("state");
  }

  /** Apply one `{type: "event", event, seq, data}` message. */
  apply(msg) {
    if (this.waiting || !this.state) return "stale";
    // seq only tells what the last state already holds: the hub sends every event after it in
    // order, or the newest value of a control in place of older ones (so seq may jump or step
    // back between two controls' values), or a fresh state when it lost events
    if (typeof msg.seq === "number" && msg.seq <= this.seq) return "stale";
    const handler = HANDLERS[msg.event];
    if (handler && handler(this, msg.data || {}) === false) return this.needResync();
    if (MODIFYING.has(msg.event) && !this.state.modified) {
      this.state.modified = true;
      this.emit("meta");
    }
    return "applied";
  }

  needResync() {
    this.waiting = true;
    return "resync";
  }

  // local (optimistic) updates, confirmed later by the matching event

  setParameter(id, symbol, value) {
    const p = this.plugin(id);
    if (!p) return;
    p.parameters[symbol] = value;
    this.emit("param", { id, symbol });
  }

  movePlugin(id, x, y) {
    const p = this.plugin(id);
    if (!p) return;
    p.x = x;
    p.y = y;
    this.emit("moved", { id });
  }
}

function sameConnection(a, b) {
  return a.source === b.source && a.target === b.target;
}

/** One function per event name: patch the state; return false when the data is not understood. */
const HANDLERS = {
  plugin_loaded(store, data) {
    const inst = data.plugin;
    if (!inst?.instance_id || !inst.ports) return false;
    inst.parameters ||= {};
    inst.outputs ||= {};
    inst.available_parameters ||= {};
    const plugins = store.board.plugins;
    const i = plugins.findIndex((p) => p.instance_id === inst.instance_id);
    if (i >= 0) plugins[i] = inst;
    else plugins.push(inst);
    store.emit("board");
  },
  plugin_unloaded(store, data) {
    const pb = store.board;
    const id = data.instance_id;
    pb.plugins = pb.plugins.filter((p) => p.instance_id !== id);
    const prefix = `${id}:`;
    pb.connections = pb.connections.filter((c) => !c.source.startsWith(prefix) && !c.target.startsWith(prefix));
    store.emit("board");
  },
  parameter_changed(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    p.parameters[data.symbol] = data.value;
    store.emit("param", { id: data.instance_id, symbol: data.symbol });
  },
  output_changed(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    p.outputs ||= {};
    p.outputs[data.symbol] = data.value;
    store.emit("output", { id: data.instance_id, symbol: data.symbol });
  },
  connection_created(store, data) {
    const conn = { source: data.source, target: data.target };
    if (!conn.source || !conn.target) return false;
    const list = store.board.connections;
    if (!list.some((c) => sameConnection(c, conn))) list.push(conn);
    store.emit("board");
  },
  connection_removed(store, data) {
    const pb = store.board;
    pb.connections = pb.connections.filter((c) => !sameConnection(c, data));
    store.emit("board");
  },
  plugin_bypassed(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    p.enabled = !data.bypassed;
    store.emit("board", { id: data.instance_id });
  },
  plugin_moved(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    p.x = data.x;
    p.y = data.y;
    store.emit("moved", { id: data.instance_id });
  },
  plugin_knobs(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    p.knobs = data.knobs ?? null;
    store.emit("knobs", { id: data.instance_id });
  },
  preset_loaded(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    if (!data.parameters) return false;
    Object.assign(p.parameters, data.parameters);
    p.preset = data.uri;
    store.emit("param", { id: data.instance_id });
  },
  history_changed(store, data) {
    store.state.history = data.entries;
    store.emit("history");
  },
  dsp_load(store, data) {
    if (!store.plugin(data.instance_id) || typeof data.percent !== "number") return;
    store.dsp[data.instance_id] = data.percent;
    store.emit("dsp", { id: data.instance_id });
  },
  block_meters(store, data) {
    store.levels = {};
    for (const m of data.blocks || []) store.levels[m.instance_id] = m;
    store.emit("levels");
  },
  plugin_died(store, data) {
    const p = store.plugin(data.instance_id);
    if (!p) return;
    p.crashed = true;
    store.emit("board", { id: data.instance_id });
  },
  audio_status(store, data) {
    const audio = store.state.audio;
    audio.dsp_load = data.avg;
    audio.dsp_load_max = data.max;
    audio.xruns = data.xruns;
    store.emit("audio");
  },
  pedalboard_loaded(store, data) {
    if (!data.pedalboard) return false;
    store.setState({ ...store.state, pedalboard: data.pedalboard, seq: store.seq,
      modified: data.modified ?? Boolean(data.missing?.length) });
  },
  board_pending(store, data) {
    if (!Array.isArray(data.pending_plugins) || !Array.isArray(data.pending_connections)) return false;
    store.board.pending_plugins = data.pending_plugins;
    store.board.pending_connections = data.pending_connections;
    store.emit("pending");
  },
  session_warning(store, data) {
    if (!data.message) return;
    store.state.warnings = [...store.state.warnings, { kind: data.kind || "", message: data.message, live: true }]
      .slice(-MAX_WARNINGS);
    store.emit("warnings");
  },
  pedalboard_changed(store, data) {
    const pb = store.board;
    if (data.action === "saved_as" || data.id === pb.id) {
      if (data.action !== "deleted") {
        pb.id = data.id;
        pb.name = data.name ?? pb.name;
      }
      if (data.modified !== undefined) store.state.modified = data.modified;
      store.emit("meta");
    } else if (!["created", "deleted", "renamed", "saved"].includes(data.action)) {
      return false;
    }
  },
  engine_status(store, data) {
    if (data.replays !== undefined) {
      // the engine was rebuilt from the board: crashed plugins run again (the first status
      // this page sees only sets the count: a crash reported just before it still stands)
      const rebuilt = store.replays !== undefined && data.replays !== store.replays;
      store.replays = data.replays;
      if (rebuilt) {
        for (const p of store.board.plugins) delete p.crashed;
        store.emit("board");
      }
    }
    if (data.connected !== undefined) store.state.engine_connected = Boolean(data.connected);
    if (data.processing !== undefined) {
      store.state.audio = { ...(store.state.audio || {}), processing: Boolean(data.processing) };
    }
    store.emit("engine");
  },
};
