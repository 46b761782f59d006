// A device of a Kept member, on @automerge/automerge: joins (PROTOCOL.md
// "Joining", "multi-device"), pulls page by page (PROTOCOL.md "Pull"),
// keeps the documents it may read, reads and writes activities (FORMAT.md
// §3, §6, §7.2) and pushes its own changes (PROTOCOL.md "Push").
// Written from docs/FORMAT.md and docs/PROTOCOL.md only.

import * as F from "./format.js";
import { Relay } from "./relay.js";

const A = F.A;

export class Device {
  constructor(url, name) {
    this.relay = new Relay(url);
    this.name = name;
    /** FORMAT §6: this device's own random actor, made once, never shared. */
    this.actor = F.freshActor();
    /** Document id → Automerge document (under this device's actor). */
    this.docs = new Map();
    /** PROTOCOL "Pull": the cursor (last sequence examined) and `seen` (SEQ:HASH of the last change received). */
    this.cursor = 0;
    this.seen = null;
    /** Changes this device made and has not pushed yet, in order: [docId, bytes]. */
    this.outbox = [];
    /** What the last pull() received (for the tests' assertions). */
    this.lastPull = null;
  }

  /** PROTOCOL "Joining": POST /v1/join with a one-time code (a manager's invite or a member's `invite --me`). */
  async join(code, deviceName = this.name) {
    const r = await this.relay.join(code, deviceName);
    this.member = { id: r.member_id, name: r.member_name, role: r.role };
    this.deviceId = r.device_id;
    this.team = { id: r.team_id, name: r.team_name };
    return r;
  }

  /**
   * PROTOCOL "Pull": GET /v1/pull from the cursor, `limit` changes a page,
   * until `more` is false. Snapshots (first page of cursor 0, documents the
   * relay compacted) are taken as the document when not held, merged when
   * held; changes are applied per document in sequence order. Returns what
   * came: pages, snapshots and changes per document.
   */
  async pull({ limit = 1000 } = {}) {
    const got = { pages: [], snapshots: [], changes: [] };
    for (;;) {
      const q = `cursor=${this.cursor}&limit=${limit}` + (this.seen ? `&seen=${this.seen}` : "");
      const page = await this.relay.pullPage(q);
      if (page.reset) throw new Error(`${this.name}: the relay answered reset (it lost changes this device saw)`);
      got.pages.push({ cursor: this.cursor, next: page.next, more: page.more, snapshots: page.snapshots.length, changes: page.changes.length });
      for (const s of page.snapshots) {
        const bytes = F.unb64(s.data);
        const held = this.docs.get(s.doc);
        this.docs.set(s.doc, held ? A.loadIncremental(held, bytes) : A.load(bytes, { actor: this.actor }));
        got.snapshots.push({ doc: s.doc, upto: s.upto, bytes: bytes.length });
      }
      const byDoc = new Map();
      for (const c of page.changes) {
        const bytes = F.unb64(c.data);
        if (!byDoc.has(c.doc)) byDoc.set(c.doc, []);
        byDoc.get(c.doc).push(bytes);
        got.changes.push({ seq: c.seq, doc: c.doc });
        this.seen = `${c.seq}:${A.decodeChange(bytes).hash}`;
      }
      for (const [id, list] of byDoc) {
        const [doc] = A.applyChanges(this.docs.get(id) ?? A.init({ actor: this.actor }), list);
        this.docs.set(id, doc);
      }
      this.cursor = page.next;
      if (!page.more) break;
    }
    this.lastPull = got;
    return got;
  }

  /**
   * PROTOCOL "Snapshots a page at a time": GET /v1/snapshots, `limit` a
   * page, following `next` while `more`, among `logs` ("", "logs_from=W" or
   * "logs_before=W"); each snapshot taken as the document when not held,
   * merged when held. `snapUpto` keeps the lowest `upto` of the pages: the
   * cursor to pull changes from. Returns the pages.
   */
  async takeSnapshots({ limit = 1000, logs = "" } = {}) {
    const pages = [];
    let after = "";
    for (;;) {
      const q = `limit=${limit}` + (after ? `&after=${encodeURIComponent(after)}` : "") + (logs ? `&${logs}` : "");
      const page = await this.relay.snapshotPage(q);
      pages.push({ docs: page.snapshots.map((s) => s.doc), upto: page.upto, more: page.more, later: page.later });
      for (const s of page.snapshots) {
        const bytes = F.unb64(s.data);
        const held = this.docs.get(s.doc);
        this.docs.set(s.doc, held ? A.loadIncremental(held, bytes) : A.load(bytes, { actor: this.actor }));
      }
      this.snapUpto = Math.min(this.snapUpto ?? Infinity, page.upto);
      after = page.next;
      if (!page.more) return pages;
    }
  }

  /** PROTOCOL "Push": every change of the outbox in one push (a genesis before the change that needs it). */
  async push() {
    if (!this.outbox.length) return { status: 200, json: { acked: [] } };
    const r = await this.relay.push(this.outbox);
    if (r.status !== 200) throw new Error(`${this.name}: push refused: ${r.status} ${r.text}`);
    this.outbox = [];
    return r;
  }

  /** FORMAT §7.1: the team's time zone (UTC until the team document is here). */
  timeZone() {
    return F.teamTimeZone(this.docs.get("team"));
  }

  /** FORMAT §2: this member's log documents that this device holds. */
  logDocIds() {
    const prefix = `log/${this.member.id}/`;
    return [...this.docs.keys()].filter((id) => id.startsWith(prefix)).sort();
  }

  /**
   * FORMAT §7.2, §3: this member's live activities (deleted ones skipped),
   * each with the document that holds it and the week it is filed under:
   * readers file by `occurred_at` in the team's zone, not by the document.
   */
  activities() {
    const tz = this.timeZone();
    const out = [];
    for (const doc of this.logDocIds()) {
      for (const a of F.readActivities(this.docs.get(doc))) {
        const when = new Date(a.occurred_at);
        out.push({ ...a, doc, week: Number.isNaN(when.getTime()) ? null : F.logWeekOf(when, tz) });
      }
    }
    return out.sort((x, y) => (x.id < y.id ? -1 : 1));
  }

  /** Makes a change to document `id` under this device's actor and queues it (FORMAT §6). */
  edit(id, fn, time = Math.floor(Date.now() / 1000)) {
    const doc = A.change(this.docs.get(id), { time }, fn);
    const change = A.getLastLocalChange(doc);
    if (!change) throw new Error(`${this.name}: the edit of ${id} changed nothing`);
    this.docs.set(id, doc);
    this.outbox.push([id, change]);
    return change;
  }

  /**
   * FORMAT §3, §6, §7.2: logs an activity in the log document of the ISO
   * week of its time in the team's zone; a document this device does not
   * hold starts from its canonical genesis, which is pushed with (before)
   * the first change.
   */
  logActivity(a) {
    const when = new Date(a.occurred_at);
    const id = F.docId("log", this.member.id, F.logWeekOf(when, this.timeZone()));
    if (!this.docs.has(id)) {
      this.docs.set(id, F.startDocument(id, this.actor));
      this.outbox.push([id, F.genesisChange(id)]);
    }
    const added = F.addActivity(this.docs.get(id), { logged_by: this.member.id, ...a });
    this.docs.set(id, added.doc);
    this.outbox.push([id, added.change]);
    return { id: added.id, doc: id, change: added.change };
  }

  /** The log document holding activity `activityId` (FORMAT §3: change it where it is). */
  docOf(activityId) {
    for (const id of this.logDocIds()) {
      const coll = F.getMap(this.docs.get(id), "_root", "activities");
      if (coll && F.getMap(this.docs.get(id), coll, activityId)) return id;
    }
    throw new Error(`${this.name}: no log document holds activity ${activityId}`);
  }

  /**
   * FORMAT §7.2: editing writes only the changed fields (strings as scalar
   * str, numbers as int). Returns the change.
   */
  editActivity(activityId, fields) {
    const id = this.docOf(activityId);
    const doc = this.docs.get(id);
    const o = F.getMap(doc, F.getMap(doc, "_root", "activities"), activityId);
    const changed = Object.entries(fields).filter(([k, v]) => {
      const cur = F.typed(doc, o, k);
      return !cur || cur.value !== v;
    });
    return this.edit(id, (r) => {
      const rec = r.activities[activityId];
      for (const [k, v] of changed) rec[k] = typeof v === "string" ? F.str(v) : v;
    });
  }

  /** FORMAT §7.2: deleting puts `deleted` = true (the key stays; no un-delete). */
  deleteActivity(activityId) {
    const id = this.docOf(activityId);
    return this.edit(id, (r) => {
      r.activities[activityId].deleted = true;
    });
  }
}
