// File pickers in a plugin's control panel: one per patch:writable path parameter, from the media library.

import { api, query } from "./api.js";
import { h } from "./dom.js";

/** Watches the control panel; when it shows a plugin with file parameters, adds their pickers. */
export class FilePicker {
  constructor(panel, store, call) {
    this.panel = panel;
    this.store = store;
    this.call = call;
    this.params = new Map(); // plugin uri → Promise<[FileParameter]>
    this.notes = new Map(); // "id\0property" → why the engine did not apply it
    new MutationObserver(() => this.attach()).observe(panel, { childList: true });
  }

  paramsOf(uri) {
    if (!this.params.has(uri)) {
      this.params.set(uri, api.get(`/api/plugins/files${query({ uri })}`).catch(() => []));
    }
    return this.params.get(uri);
  }

  async attach() {
    const id = this.panel.dataset.instanceId;
    const plugin = id && this.store.plugin(id);
    if (this.panel.hidden || !plugin || this.panel.querySelector(".file-params")) return;
    const params = await this.paramsOf(plugin.uri);
    if (!params.length || this.panel.dataset.instanceId !== id || this.panel.querySelector(".file-params")) return;
    const media = (await api.get("/api/media").catch(() => [])) || [];
    const section = h("section", { class: "file-params", "data-testid": "file-params" },
      h("h3", {}, "Files"));
    for (const param of params) section.append(this.picker(id, param, media));
    this.panel.append(section);
  }

  picker(id, param, media) {
    const chosen = this.store.board.files?.[id]?.[param.property] || "";
    const fits = media.filter((f) => param.extensions.some((ext) => f.name.toLowerCase().endsWith(ext)));
    const note = h("div", { class: "muted file-note", "data-testid": "file-note" },
      this.notes.get(`${id}\0${param.property}`) || "");
    const select = h("select", { "data-testid": "file-select", "data-property": param.property,
      "aria-label": param.label, onchange: () => this.choose(id, param, select.value, note) },
    h("option", { value: "" }, "(none)"),
    ...fits.map((f) => h("option", { value: f.name, selected: f.name === chosen }, f.name)));
    const upload = h("input", { type: "file", accept: param.extensions.join(","), "data-testid": "file-upload",
      onchange: () => this.upload(id, param, upload, note) });
    return h("div", { class: "file-param" },
      h("label", {}, param.label, " ", select), upload, note);
  }

  async choose(id, param, name, note) {
    if (!name) return;
    const result = await this.call(api.put(`/api/pedalboard/plugins/${encodeURIComponent(id)}/files`,
      { property: param.property, name }));
    if (!result) return;
    const text = result.applied ? "" : `Saved with the board; ${result.reason}`;
    this.notes.set(`${id}\0${param.property}`, text);
    note.textContent = text;
  }

  async upload(id, param, input, note) {
    const file = input.files?.[0];
    if (!file) return;
    let response;
    try {
      response = await fetch(`/api/media/${encodeURIComponent(file.name)}`, { method: "PUT", body: file });
    } catch (err) {
      note.textContent = `upload failed: ${err.message}`;
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      note.textContent = body.message || `upload failed (${response.status})`;
      return;
    }
    await this.choose(id, param, body.name, note);
    this.panel.querySelector(".file-params")?.remove();
    this.attach();
  }
}
