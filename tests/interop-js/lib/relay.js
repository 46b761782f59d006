// The relay's wire protocol (docs/PROTOCOL.md): join, push, pull.

import { b64, parseDocId, unb64 } from "./format.js";

export class Relay {
  constructor(url, token) {
    this.url = url.replace(/\/$/, "");
    this.token = token;
  }

  async call(method, path, body) {
    // PROTOCOL "Versions": every call names the protocol version it speaks.
    const headers = { "content-type": "application/json", "kept-protocol": "1" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(this.url + path, { method, headers, body: body && JSON.stringify(body) });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** POST /v1/join: redeems an invite; keeps the device token. */
  async join(invite, deviceName, name) {
    const r = await this.call("POST", "/v1/join", { invite, device_name: deviceName, ...(name ? { name } : {}) });
    if (r.status !== 200) throw new Error(`join: ${r.status} ${r.text}`);
    this.token = r.json.token;
    return r.json;
  }

  /** POST /v1/push: changes as [docId, bytes] in order (dependencies first). Returns the raw answer. */
  async push(changes) {
    const body = {
      changes: changes.map(([doc, bytes]) => {
        const { kind, subject } = parseDocId(doc);
        return { doc, kind, ...(subject ? { subject } : {}), data: b64(bytes) };
      }),
    };
    return this.call("POST", "/v1/push", body);
  }

  /** GET /v1/pull?<query> (cursor, limit, seen): one page, as the relay answers it. */
  async pullPage(query) {
    const r = await this.call("GET", `/v1/pull?${query}`);
    if (r.status !== 200) throw new Error(`pull: ${r.status} ${r.text}`);
    return r.json;
  }

  /** GET /v1/snapshots?<query> (after, limit, logs_before | logs_from): one page, as the relay answers it. */
  async snapshotPage(query) {
    const r = await this.call("GET", `/v1/snapshots?${query}`);
    if (r.status !== 200) throw new Error(`snapshots: ${r.status} ${r.text}`);
    return r.json;
  }

  /** POST /v1/invites: a one-time code (a manager's, or any member's for a device of their own with `member_id`). */
  async invite(body) {
    const r = await this.call("POST", "/v1/invites", body);
    if (r.status !== 200) throw new Error(`invite: ${r.status} ${r.text}`);
    return r.json;
  }

  /** GET /v1/devices: the team's devices (a manager) or the caller's own (a rep). */
  async devices() {
    const r = await this.call("GET", "/v1/devices");
    if (r.status !== 200) throw new Error(`devices: ${r.status} ${r.text}`);
    return r.json;
  }

  /**
   * GET /v1/pull from `cursor` until `more` is false. Returns snapshots and
   * changes per document (bytes), in sequence order, and the next cursor.
   */
  async pullAll(cursor = 0) {
    const docs = new Map();
    const entry = (doc) => {
      if (!docs.has(doc)) docs.set(doc, { snapshots: [], changes: [] });
      return docs.get(doc);
    };
    for (;;) {
      const r = await this.call("GET", `/v1/pull?cursor=${cursor}&limit=1000`);
      if (r.status !== 200) throw new Error(`pull: ${r.status} ${r.text}`);
      for (const s of r.json.snapshots ?? []) entry(s.doc).snapshots.push(unb64(s.data));
      for (const c of r.json.changes) entry(c.doc).changes.push({ seq: c.seq, bytes: unb64(c.data) });
      cursor = r.json.next;
      if (!r.json.more) return { docs, cursor };
    }
  }
}
