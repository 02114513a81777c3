// Talk to the web server: a JSON fetch wrapper for the HTTP API and a self-healing WebSocket.

/** An error reply of the HTTP API ({code, type, message}). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.type = body?.type || "http";
    this.code = body?.code;
    this.data = body?.data;
  }
}

/** This tab's client id: whose undo history an edit belongs to (kept across reloads of the tab). */
export const CLIENT_ID = (() => {
  try {
    let id = sessionStorage.getItem("stompbox-client");
    if (!id) {
      id = `c-${Math.random().toString(36).slice(2, 12)}`;
      sessionStorage.setItem("stompbox-client", id);
    }
    return id;
  } catch {
    return `c-${Math.random().toString(36).slice(2, 12)}`;
  }
})();

/** A fresh id for one gesture (knob drag, value entry): its values make one undo entry. */
export function newGesture() {
  return `g-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

async function request(method, path, body) {
  const init = { method, headers: { "X-Stompbox-Client": CLIENT_ID } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, { type: "connection", message: `server unreachable (${err.message})` });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data?.detail && !data.message ? { message: JSON.stringify(data.detail) } : data);
  return data;
}

/** Build "?a=1&b=2" from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : "";
}

export const api = {
  get: (path) => request("GET", path),
  post: (path, body = {}) => request("POST", path, body),
  put: (path, body = {}) => request("PUT", path, body),
  patch: (path, body = {}) => request("PATCH", path, body),
  del: (path) => request("DELETE", path),
};

/** Path of one plugin instance resource. */
export const pluginPath = (id) => `/api/pedalboard/plugins/${encodeURIComponent(id)}`;

/**
 * The /ws connection. Reconnects by itself with backoff; the server sends a fresh `state` on every
 * (re)connect, so the caller only needs `onmessage`. Status: "connecting" | "open" | "closed".
 */
export class LiveSocket {
  constructor(url, { onmessage, onstatus }) {
    this.url = url;
    this.onmessage = onmessage;
    this.onstatus = onstatus;
    this.ws = null;
    this.delay = 250;
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Send a JSON message; false when the socket is not open (caller may fall back to HTTP). */
  send(message) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  connect() {
    this.onstatus("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 250;
      this.onstatus("open");
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.onmessage(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.onstatus("closed");
      if (!this.stopped) {
        this.timer = setTimeout(() => this.connect(), this.delay);
        this.delay = Math.min(this.delay * 2, 5000);
      }
    };
    ws.onerror = () => ws.close();
  }
}

/** The WebSocket URL of this page's server. */
export function socketUrl() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws`;
}
