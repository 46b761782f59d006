// Kept's document format (docs/FORMAT.md), written with the official
// @automerge/automerge package. Every rule here cites the FORMAT.md section it
// comes from; nothing in this folder reads Kept's Rust code.

import * as A from "@automerge/automerge";
import { createHash, randomBytes } from "node:crypto";

/** FORMAT.md §1: a scalar string (Automerge `str`), never collaborative Text. */
export const str = (v) => new A.ImmutableString(String(v));

// ---------------------------------------------------------------- ids (§2, §8)

export const KINDS = ["team", "log", "plan", "pipeline", "coaching", "review"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const WEEK = /^\d{4}-W\d{2}$/;

/** FORMAT.md §2: the document id of a kind (member: lowercase UUID; week: YYYY-Www). */
export function docId(kind, member, week) {
  if (kind === "team") return "team";
  if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}`);
  if (!UUID.test(member)) throw new Error(`member must be a lowercase hyphenated UUID: ${member}`);
  if (kind === "log") {
    if (!WEEK.test(week)) throw new Error(`week must look like 2026-W48: ${week}`);
    return `log/${member}/${week}`;
  }
  return `${kind}/${member}`;
}

/** FORMAT.md §2: kind and subject of an id, as a push names them. */
export function parseDocId(id) {
  const parts = id.split("/");
  return { kind: parts[0] === "team" ? "team" : parts[0], subject: parts[1] };
}

/** FORMAT.md §8: a UUIDv7 (lowercase, hyphenated) for record keys. */
export function uuidv7(now = Date.now()) {
  const b = randomBytes(16);
  let ms = BigInt(now);
  for (let i = 5; i >= 0; i--) {
    b[i] = Number(ms & 0xffn);
    ms >>= 8n;
  }
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ------------------------------------------------------------- weeks (§3, §8)

/** FORMAT.md §8: a week label, YYYY-Www, zero-padded. */
export function weekLabel(year, week) {
  return `${String(year).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

/** The ISO week (Monday weeks) of a calendar date given as y, m (1-12), d. */
export function isoWeekOfDate(y, m, d) {
  const date = new Date(Date.UTC(y, m - 1, d));
  const monday0 = (date.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(date.getTime() + (3 - monday0) * 86400000);
  const isoYear = thursday.getUTCFullYear();
  const dayIndex = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / 86400000);
  return weekLabel(isoYear, Math.floor(dayIndex / 7) + 1);
}

/** Local calendar fields and UTC offset (minutes) of an instant in an IANA zone. */
export function localParts(instant, timeZone) {
  let fmt;
  try {
    fmt = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
  } catch {
    // FORMAT.md §3: a zone name this client does not know counts as UTC.
    return localParts(instant, "UTC");
  }
  const p = Object.fromEntries(fmt.formatToParts(instant).map((x) => [x.type, x.value]));
  const f = { y: +p.year, m: +p.month, d: +p.day, hh: +p.hour, mm: +p.minute, ss: +p.second };
  const asUtc = Date.UTC(f.y, f.m - 1, f.d, f.hh, f.mm, f.ss);
  const whole = Math.floor(instant.getTime() / 1000) * 1000;
  return { ...f, offsetMin: Math.round((asUtc - whole) / 60000) };
}

/**
 * FORMAT.md §3: the log document an activity goes in is the ISO (Monday)
 * week of its time's local date in the team's time zone — whatever day the
 * team's week starts on.
 */
export function logWeekOf(instant, teamTimeZone) {
  const p = localParts(instant, teamTimeZone);
  return isoWeekOfDate(p.y, p.m, p.d);
}

/** FORMAT.md §8: RFC 3339 with the team zone's offset, e.g. 2026-11-23T14:30:00+01:00. */
export function rfc3339(instant, timeZone) {
  const p = localParts(instant, timeZone);
  const two = (n) => String(n).padStart(2, "0");
  const off = p.offsetMin;
  const sign = off < 0 ? "-" : "+";
  const a = Math.abs(off);
  return (
    `${String(p.y).padStart(4, "0")}-${two(p.m)}-${two(p.d)}T${two(p.hh)}:${two(p.mm)}:${two(p.ss)}` +
    `${sign}${two(Math.floor(a / 60))}:${two(a % 60)}`
  );
}

// ----------------------------------------------------------- genesis (§4, §5)

const sha16 = (seed) => createHash("sha256").update(seed, "utf8").digest().subarray(0, 16).toString("hex");

/** FORMAT.md §4: the genesis actor: first 16 bytes of SHA-256("kept-genesis-v1:<id>"). */
export const genesisActor = (id) => sha16(`kept-genesis-v1:${id}`);

/** FORMAT.md §5: the actor adding root map `name`: SHA-256("kept-root-map-v1:<id>:<name>")[..16]. */
export const rootMapActor = (id, name) => sha16(`kept-root-map-v1:${id}:${name}`);

/** FORMAT.md §4: root maps of each kind's genesis, in the order written. */
export const ROOT_MAPS = {
  team: ["activity_types", "settings", "kudos"],
  log: ["activities"],
  plan: ["targets", "commitments", "goal"],
  pipeline: ["deals"],
  coaching: ["action_items", "meetings", "assessments"],
  review: ["assessments", "ratings"],
};

/** FORMAT.md §5: root maps added later, each by its own canonical change. */
export const LATER_ROOT_MAPS = {
  team: ["agendas", "criteria", "calibrations"],
  coaching: ["development", "calibration_scores", "challenges"],
  review: ["challenge_comments", "sign_notes"],
};

/** FORMAT.md §4: the team genesis's settings, in order. */
export const GENESIS_SETTINGS = [
  ["time_zone", "UTC"],
  ["week_start", "mon"],
  ["working_days", "mon,tue,wed,thu,fri"],
];

/** FORMAT.md §4: the team genesis's catalog, in order: key, label, leading, position. */
export const GENESIS_CATALOG = [
  ["call", "Calls", true, 0],
  ["conversation", "Conversations", true, 1],
  ["meeting-set", "Meetings set", true, 2],
  ["meeting-held", "Meetings held", true, 3],
  ["proposal", "Proposals", true, 4],
  ["referral-asked", "Referrals asked", true, 5],
  ["email", "Emails", false, 6],
];

/**
 * FORMAT.md §4: the genesis of document `id` as an Automerge document: one
 * change, genesis actor, seq 1, no deps, time 0, no message; ops `kind` (str),
 * `schema` (int 1), the root maps, and for the team its settings and catalog.
 */
export function genesisDoc(id) {
  const { kind } = parseDocId(id);
  let doc = A.init({ actor: genesisActor(id) });
  doc = A.change(doc, { time: 0 }, (r) => {
    r.kind = str(kind);
    r.schema = 1; // an integral JS number is written as an Automerge int
    for (const m of ROOT_MAPS[kind]) r[m] = {};
    if (kind === "team") {
      for (const [k, v] of GENESIS_SETTINGS) r.settings[k] = str(v);
      for (const [key, label, leading, position] of GENESIS_CATALOG) {
        r.activity_types[key] = {};
        const t = r.activity_types[key];
        t.label = str(label);
        t.leading = leading;
        t.position = position;
      }
    }
  });
  return doc;
}

/** FORMAT.md §4: the genesis change's bytes. */
export const genesisChange = (id) => A.getLastLocalChange(genesisDoc(id));

/**
 * FORMAT.md §5: the change adding root map `name` to `id`: built on the bare
 * genesis (never on the current document), root-map actor, seq 1, the genesis
 * as its only dependency, time 0, one op (a map at the root).
 */
export function rootMapChange(id, name) {
  let doc = A.clone(genesisDoc(id), { actor: rootMapActor(id, name) });
  doc = A.change(doc, { time: 0 }, (r) => {
    r[name] = {};
  });
  return A.getLastLocalChange(doc);
}

/** FORMAT.md §4/§5: which canonical change (if any) an actor stands for in document `id`. */
export function canonicalOf(id, actorHex) {
  if (actorHex === genesisActor(id)) return { which: "genesis", bytes: genesisChange(id) };
  const { kind } = parseDocId(id);
  for (const n of LATER_ROOT_MAPS[kind] ?? []) {
    if (actorHex === rootMapActor(id, n)) return { which: `root-map ${n}`, bytes: rootMapChange(id, n) };
  }
  return null;
}

// ---------------------------------------------------------- writing (§6, §7)

/** FORMAT.md §6: a fresh random 16-byte actor for this device's own edits. */
export const freshActor = () => randomBytes(16).toString("hex");

/**
 * FORMAT.md §6: a new document this device starts: the genesis, then its own
 * edits under its own actor. Returns the document to edit.
 */
export function startDocument(id, actor) {
  return A.clone(genesisDoc(id), { actor });
}

/**
 * FORMAT.md §7.2: a new activity record in a log document. Strings are
 * scalar `str`, numbers `int`; optional fields are left out when absent.
 */
export function addActivity(doc, a, time = Math.floor(Date.now() / 1000)) {
  const id = a.id ?? uuidv7();
  const next = A.change(doc, { time }, (r) => {
    r.activities[id] = {};
    const o = r.activities[id];
    o.type = str(a.type);
    o.occurred_at = str(a.occurred_at);
    o.count = a.count ?? 1;
    o.logged_by = str(a.logged_by);
    for (const k of ["kare", "outcome", "account", "deal", "note"]) if (a[k] != null) o[k] = str(a[k]);
    if (a.duration_min != null) o.duration_min = a.duration_min;
  });
  return { doc: next, id, change: A.getLastLocalChange(next) };
}

// ------------------------------------------------------------- reading (§9)

/** The Automerge type and value at obj[key] ("str", "int", "text", "map", …), or null. */
export function typed(doc, objId, key) {
  const v = A.getBackend(doc).getWithType(objId, key);
  return v ? { type: v[0], value: v[1] } : null;
}

/** FORMAT.md §9: a string field: only a scalar str counts (Text, numbers, … read as absent). */
export function getStr(doc, objId, key) {
  const v = typed(doc, objId, key);
  return v && v.type === "str" ? v.value : undefined;
}

/** FORMAT.md §9: an integer field: int, uint or counter (f64 reads as absent). */
export function getInt(doc, objId, key) {
  const v = typed(doc, objId, key);
  if (!v) return undefined;
  if (v.type === "int" || v.type === "uint") return Number(v.value);
  if (v.type === "counter") return Number(v.value);
  return undefined;
}

/** FORMAT.md §9: a map-valued key's object id, or undefined. */
export function getMap(doc, objId, key) {
  const v = typed(doc, objId, key);
  return v && v.type === "map" ? v.value : undefined;
}

/** FORMAT.md §7.3: a rep's targets from a plan document, keyed like the document. */
export function readTargets(doc) {
  const coll = getMap(doc, "_root", "targets");
  if (!coll) throw new Error("plan document has no 'targets' map");
  const out = {};
  for (const key of A.getBackend(doc).keys(coll)) {
    const [scope, week, ...rest] = key.split(":");
    const type = rest.join(":");
    const o = getMap(doc, coll, key);
    if (!o || !week || !type) continue;
    const count = getInt(doc, o, "count");
    if (count === undefined) continue;
    out[key] = { standing: scope === "from", week, type, count, set_by: getStr(doc, o, "set_by"), set_at: getStr(doc, o, "set_at") };
  }
  return out;
}

/** FORMAT.md §7.2: live activities of a log document. */
export function readActivities(doc) {
  const coll = getMap(doc, "_root", "activities");
  if (!coll) throw new Error("log document has no 'activities' map");
  const out = [];
  for (const id of A.getBackend(doc).keys(coll)) {
    const o = getMap(doc, coll, id);
    if (!o) continue;
    const del = typed(doc, o, "deleted");
    if (del && del.type === "boolean" && del.value === true) continue;
    const rec = {
      id,
      type: getStr(doc, o, "type") ?? "",
      occurred_at: getStr(doc, o, "occurred_at") ?? "",
      count: getInt(doc, o, "count") ?? 1,
      logged_by: getStr(doc, o, "logged_by") ?? "",
      note: getStr(doc, o, "note"),
    };
    // Optional fields (§7.2): absent key = absent value.
    for (const k of ["kare", "outcome", "account", "deal"]) {
      const v = getStr(doc, o, k);
      if (v !== undefined) rec[k] = v;
    }
    const d = getInt(doc, o, "duration_min");
    if (d !== undefined) rec.duration_min = d;
    out.push(rec);
  }
  return out;
}

/** FORMAT.md §7.1: the team's time zone (UTC until the team document says otherwise). */
export function teamTimeZone(teamDoc) {
  const s = teamDoc && getMap(teamDoc, "_root", "settings");
  return (s && getStr(teamDoc, s, "time_zone")) || "UTC";
}

export const hex = (u8) => Buffer.from(u8).toString("hex");
export const b64 = (u8) => Buffer.from(u8).toString("base64");
export const unb64 = (s) => new Uint8Array(Buffer.from(s, "base64"));
export { A };
