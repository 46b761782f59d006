// End to end: a real kept-relay, a Kept manager (the `kept` CLI) and a second,
// independent client on @automerge/automerge written from docs/FORMAT.md and
// docs/PROTOCOL.md. Needs KEPT_BIN and KEPT_RELAY_BIN (paths to the built
// binaries); KEPT_INTEROP_TMP names a scratch folder (default: a new temp dir).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import * as F from "../lib/format.js";
import { Relay } from "../lib/relay.js";
import { Device } from "../lib/client.js";

const A = F.A;
const KEPT = process.env.KEPT_BIN;
const RELAY = process.env.KEPT_RELAY_BIN;
const HERE = dirname(fileURLToPath(import.meta.url));

let tmp, relayProc, url, db, jo, client, mia, tz;
let joActor, joWeek, joDocId, joDoc, callId;

function kept(...args) {
  return execFileSync(KEPT, ["--home", join(tmp, "mia"), ...args], { encoding: "utf8" });
}
const keptJson = (...args) => JSON.parse(kept(...args, "--json"));

/** Builds each readable document from a full pull (snapshots first, then changes). */
function buildDocs(pulled) {
  const out = new Map();
  for (const [id, { snapshots, changes }] of pulled.docs) {
    let doc = A.init();
    for (const s of snapshots) doc = A.loadIncremental(doc, s);
    [doc] = A.applyChanges(doc, changes.map((c) => c.bytes));
    out.set(id, doc);
  }
  return out;
}

const note = (t, msg) => t.diagnostic(msg);

/** Starts `kept-relay serve` on a free port with database `dbPath`; resolves to {proc, url}. */
async function startRelay(dbPath) {
  const proc = spawn(RELAY, ["serve", "--listen", "127.0.0.1:0", "--db", dbPath], { stdio: ["ignore", "pipe", "pipe"] });
  proc.stderr.resume();
  const first = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout });
    rl.once("line", resolve);
    proc.once("exit", (c) => reject(new Error(`kept-relay exited (${c}) before listening`)));
  });
  proc.stdout.resume();
  const m = /kept-relay listening on (http:\/\/\S+)/.exec(first);
  assert.ok(m, `unexpected first line from kept-relay: ${first}`);
  return { proc, url: m[1] };
}

describe("Kept interop: a second client on @automerge/automerge", () => {
  before(async () => {
    assert.ok(KEPT && RELAY, "set KEPT_BIN and KEPT_RELAY_BIN to the built kept and kept-relay binaries");
    tmp = process.env.KEPT_INTEROP_TMP || mkdtempSync(join(tmpdir(), "kept-interop-"));
    mkdirSync(tmp, { recursive: true });
    db = join(tmp, "relay.sqlite3");
    ({ proc: relayProc, url } = await startRelay(db));
  });

  after(() => {
    if (relayProc && relayProc.exitCode === null) relayProc.kill("SIGTERM");
  });

  it("Kept: the relay creates a team, Mia (kept CLI) joins as manager and invites the rep Jo", (t) => {
    const team = JSON.parse(
      execFileSync(RELAY, ["team", "create", "--name", "Acme", "--manager", "Mia", "--db", db, "--json"], {
        encoding: "utf8",
      }),
    );
    execFileSync(KEPT, ["--home", join(tmp, "mia"), "join", url, team.invite], { encoding: "utf8" });
    mia = keptJson("members").find((x) => x.name === "Mia");
    const inv = keptJson("invite", "--role", "rep", "--name", "Jo");
    assert.equal(inv.role, "rep");
    jo = { invite: inv.code };
    note(t, `relay at ${url}; Mia joined as manager (${mia.id}); invite for Jo issued`);
  });

  it("PROTOCOL: the JS client redeems Jo's invite with POST /v1/join", async (t) => {
    client = new Relay(url);
    const r = await client.join(jo.invite, "interop-js");
    assert.equal(r.role, "rep");
    assert.equal(r.member_name, "Jo");
    assert.match(r.member_id, /^[0-9a-f-]{36}$/);
    jo = { ...jo, ...r };
    kept("sync"); // Mia's roster learns Jo
    note(t, `JS client joined as rep Jo (member ${jo.member_id})`);
  });

  it("FORMAT §4: the team genesis Kept wrote is byte-identical to the one the JS client builds", async (t) => {
    kept("team", "set", "--tz", "Asia/Tokyo");
    kept("sync");
    const pulled = await client.pullAll(0);
    const team = pulled.docs.get("team");
    assert.ok(team, "Jo reads the team document");
    const genesis = team.changes.find((c) => A.decodeChange(c.bytes).actor === F.genesisActor("team"));
    assert.ok(genesis, "the team document's first change is under the team genesis actor");
    assert.equal(F.hex(genesis.bytes), F.hex(F.genesisChange("team")), "team genesis bytes differ");
    const docs = buildDocs(pulled);
    tz = F.teamTimeZone(docs.get("team"));
    assert.equal(tz, "Asia/Tokyo", "the team's time zone is a scalar str in settings.time_zone");
    note(t, `team genesis identical (${genesis.bytes.length} bytes, hash ${A.decodeChange(genesis.bytes).hash.slice(0, 12)}…); team time zone read as ${tz}`);
  });

  it("FORMAT §3/§6/§7.2: the JS client creates its week's log document and logs 3 calls (200)", async (t) => {
    const now = new Date();
    joWeek = F.logWeekOf(now, tz);
    joDocId = F.docId("log", jo.member_id, joWeek);
    joActor = F.freshActor();
    joDoc = F.startDocument(joDocId, joActor);
    const genesis = F.genesisChange(joDocId);
    const added = F.addActivity(joDoc, {
      type: "call",
      occurred_at: F.rfc3339(now, tz),
      count: 3,
      logged_by: jo.member_id,
      kare: "attain",
      account: "Globex",
      duration_min: 25,
    });
    joDoc = added.doc;
    callId = added.id;
    const r = await client.push([
      [joDocId, genesis],
      [joDocId, added.change],
    ]);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.acked.length, 2);
    assert.equal(r.json.acked[0], A.decodeChange(genesis).hash);
    note(t, `pushed genesis + activity to ${joDocId} under fresh actor ${joActor.slice(0, 8)}…: 200, 2 acked`);
  });

  it("Kept reads what the JS client wrote: activities and the board show Jo's 3 calls", (t) => {
    kept("sync");
    const list = keptJson("activities", "--rep", "Jo");
    const a = list.find((x) => x.id === callId);
    assert.ok(a, `Kept lists the JS client's activity ${callId}: ${JSON.stringify(list)}`);
    assert.equal(a.kind, "call");
    assert.equal(a.count, 3);
    assert.equal(a.kare, "attain");
    assert.equal(a.account, "Globex");
    assert.equal(a.duration_min, 25);
    assert.equal(a.logged_by, jo.member_id);
    assert.equal(a.rep, jo.member_id);
    const board = keptJson("board");
    const row = board.rows.find((r) => r.rep === jo.member_id);
    assert.ok(row, "Jo has a row on Mia's board");
    const cell = row.cells.find((c) => c.kind === "call");
    assert.equal(cell.count, 3, JSON.stringify(row));
    note(t, `Mia's kept lists activity ${callId.slice(0, 13)}… as call ×3 (attain, Globex, 25 min, logged_by Jo); board ${board.week}: Jo call = ${cell.count}`);
  });

  it("FORMAT §4/§5: every canonical change Kept writes that a rep reads (6 kinds, 4 later root maps) equals the JS one", async (t) => {
    const lastWeek = new Date(Date.now() - 7 * 86400000);
    kept("log", "call", "--rep", "Jo", "--at", F.rfc3339(lastWeek, tz));
    kept("target", "set", "call", "12", "--rep", "Jo");
    kept("deal", "add", "Globex renewal", "--amount", "25000", "--rep", "Jo");
    kept("dev", "goal", "Run discovery calls alone", "--rep", "Jo");
    kept("assess", "discovery-call", "pain=good", "--rep", "Jo");
    kept("team", "agenda", "one-on-one", "--item", "Wins", "--question", "What will you try?");
    kept("team", "criteria", "cold-call", "opener", "next-step");
    const session = keptJson("calibrate", "start", "Globex discovery call", "--interaction", "discovery-call");
    assert.ok(session.id, "a calibration session was started");
    kept("sync");
    const pulled = await client.pullAll(0);
    const seen = [];
    for (const [id, { snapshots, changes }] of pulled.docs) {
      if (id === joDocId) continue; // the JS client's own document: only Kept's count here
      const all = [...changes.map((c) => c.bytes)];
      for (const s of snapshots) all.push(...A.getAllChanges(A.load(s)));
      for (const bytes of all) {
        const c = A.decodeChange(bytes);
        const canon = F.canonicalOf(id, c.actor);
        if (!canon) continue;
        assert.equal(F.hex(bytes), F.hex(canon.bytes), `${canon.which} of ${id} differs from FORMAT.md`);
        const label = `${F.parseDocId(id).kind} ${canon.which}`;
        if (!seen.includes(label)) seen.push(label);
      }
    }
    const want = [
      "team genesis",
      "team root-map agendas",
      "team root-map criteria",
      "team root-map calibrations",
      "log genesis",
      "plan genesis",
      "pipeline genesis",
      "coaching genesis",
      "coaching root-map development",
      // "coaching root-map calibration_scores" lives only in a scorer's own coaching
      // document, which Jo (a rep) never reads; its bytes are checked by the fixture
      // test below and by shared/protocol/tests/golden.rs on Kept's side.
      "review genesis",
    ];
    for (const w of want) assert.ok(seen.includes(w), `no ${w} seen; saw ${seen.join(", ")}`);
    note(t, `byte-identical canonical changes: ${want.join(", ")}`);
  });

  it("FORMAT §7.3: the JS client reads the target Mia (Kept) set for Jo: call = 12", async (t) => {
    const docs = buildDocs(await client.pullAll(0));
    const plan = docs.get(F.docId("plan", jo.member_id));
    assert.ok(plan, "Jo pulls her plan document");
    const week = F.logWeekOf(new Date(), tz); // Mia's team weeks start on Monday: team week = ISO week
    const targets = F.readTargets(plan);
    const t12 = targets[`from:${week}:call`];
    assert.ok(t12, `a standing call target from ${week}: ${JSON.stringify(targets)}`);
    assert.equal(t12.count, 12);
    assert.equal(t12.set_by, mia.id);
    assert.equal(t12.type, "call");
    assert.match(t12.set_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$/);
    const own = F.readActivities(docs.get(joDocId));
    assert.deepEqual(
      own.map((a) => [a.id, a.type, a.count]),
      [[callId, "call", 3]],
      "Jo's own log document round-trips through the relay",
    );
    note(t, `plan/${jo.member_id.slice(0, 8)}…: targets["from:${week}:call"] = {count: 12 (int), set_by: Mia (str)}; own log round-trips`);
  });

  it("FORMAT §9: fields written as Text (what FORMAT.md forbids) do not break Kept's sync or Jo's other records", async (t) => {
    // Plain JS strings become collaborative Text in @automerge/automerge 2+. How Kept shows such a
    // record is reader behaviour (FORMAT.md §9) and is reported here, not pinned: only that the
    // change is valid Automerge, that Kept keeps syncing and that the well-formed records stand.
    const time = Math.floor(Date.now() / 1000);
    const noteId = F.uuidv7();
    const typeId = F.uuidv7();
    const now = F.rfc3339(new Date(), tz);
    joDoc = A.change(joDoc, { time }, (r) => {
      r.activities[noteId] = { type: F.str("email"), occurred_at: F.str(now), count: 2, logged_by: F.str(jo.member_id) };
      r.activities[noteId].note = "a Text note"; // wrong: Text
      r.activities[typeId] = { occurred_at: F.str(now), count: 5, logged_by: F.str(jo.member_id) };
      r.activities[typeId].type = "proposal"; // wrong: Text
    });
    const r = await client.push([[joDocId, A.getLastLocalChange(joDoc)]]);
    assert.equal(r.status, 200, r.text);
    kept("sync");
    const list = keptJson("activities", "--rep", "Jo");
    const call = list.find((x) => x.id === callId);
    assert.ok(call && call.kind === "call" && call.count === 3, "the well-formed activity is unchanged");
    const row = keptJson("board").rows.find((x) => x.rep === jo.member_id);
    const cell = (k) => row.cells.find((c) => c.kind === k).count;
    assert.equal(cell("call"), 3);
    const withNote = list.find((x) => x.id === noteId);
    const withType = list.find((x) => x.id === typeId);
    const show = (a) => (a ? `listed as type ${JSON.stringify(a.kind)}, note ${JSON.stringify(a.note ?? null)}` : "not listed");
    note(
      t,
      `Kept today: email with a Text note → ${show(withNote)}; 5 proposals with a Text type → ${show(withType)}; ` +
        `board emails = ${cell("email")}, proposals = ${cell("proposal")} (scalar str would give 2 and 5)`,
    );
  });

  it("FORMAT §4 / PROTOCOL push check 3: a genesis that differs by a byte is refused with 400 'canonical'", async (t) => {
    const next = new Date(Date.now() + 7 * 86400000);
    const id = F.docId("log", jo.member_id, F.logWeekOf(next, tz));
    const actor = F.genesisActor(id);
    const variants = {
      "kind written as Text": (r) => {
        r.kind = "log";
        r.schema = 1;
        r.activities = {};
      },
      "schema written as f64": (r) => {
        r.kind = F.str("log");
        r.schema = new A.Float64(1);
        r.activities = {};
      },
      "root maps in another order (an extra map)": (r) => {
        r.kind = F.str("log");
        r.schema = 1;
        r.extra = {};
        r.activities = {};
      },
    };
    const refused = [];
    for (const [what, ops] of Object.entries(variants)) {
      const bad = A.getLastLocalChange(A.change(A.init({ actor }), { time: 0 }, ops));
      const r = await client.push([[id, bad]]);
      assert.equal(r.status, 400, `${what}: ${r.text}`);
      assert.match(r.json.error.message, /canonical/, what);
      if (!refused.length) note(t, `relay: ${r.json.error.message}`);
      refused.push(what);
    }
    // Time 1 instead of 0, otherwise exact.
    const timed = A.getLastLocalChange(
      A.change(A.init({ actor }), { time: 1 }, (r) => {
        r.kind = F.str("log");
        r.schema = 1;
        r.activities = {};
      }),
    );
    const r1 = await client.push([[id, timed]]);
    assert.equal(r1.status, 400, r1.text);
    assert.match(r1.json.error.message, /canonical/);
    refused.push("time 1 instead of 0");
    // The exact genesis of that week is admitted (nothing else was stored).
    const ok = await client.push([[id, F.genesisChange(id)]]);
    assert.equal(ok.status, 200, ok.text);
    note(t, `refused with 400 'canonical': ${refused.join("; ")}; the exact genesis of ${id.split("/")[2]} is admitted`);
  });

  it("FORMAT §6 / PROTOCOL push check 3: the JS client's own edit under the genesis actor is refused", async (t) => {
    let g = F.genesisDoc(joDocId); // actor = the genesis actor
    g = A.change(g, { time: 0 }, (r) => {
      r.activities[F.uuidv7()] = { type: F.str("call"), occurred_at: F.str(F.rfc3339(new Date(), tz)), count: 1, logged_by: F.str(jo.member_id) };
    });
    const r = await client.push([[joDocId, A.getLastLocalChange(g)]]);
    assert.equal(r.status, 400, r.text);
    assert.match(r.json.error.message, /canonical/);
    note(t, `an edit under the genesis actor of ${joDocId} (its seq 2): 400: ${r.json.error.message}`);
  });

  it("FORMAT fixtures: the JS builders still produce the committed canonical bytes", (t) => {
    const fx = JSON.parse(readFileSync(join(HERE, "..", "fixtures", "canonical.json"), "utf8"));
    let n = 0;
    for (const f of fx.changes) {
      const bytes = f.root_map ? F.rootMapChange(f.doc, f.root_map) : F.genesisChange(f.doc);
      assert.equal(F.hex(bytes), f.hex, `${f.doc} ${f.root_map ?? "genesis"}: ${fx.why}`);
      assert.equal(A.decodeChange(bytes).hash, f.hash);
      n++;
    }
    note(t, `${n} canonical fixtures (fixtures/canonical.json) reproduced byte for byte`);
  });
});

// ---------------------------------------------------------------------------
// Jo's second device. Jo joins with the real `kept` CLI (her first device);
// the JS client (lib/client.js) joins as another device of the same member
// with a code from `kept invite --me`, pulls, logs, edits and deletes, creates
// a week's document offline while Jo's Kept device does the same, and a fresh
// JS device bootstraps from compacted snapshots. At each step the JS client's
// own reading, Jo's Kept device and the manager Mia's board agree.

describe("Kept interop: the JS client as a second device of the rep Jo (a Kept CLI user)", () => {
  const TZ = "America/Los_Angeles";
  let dir, proc, relayUrl, relayDb, MIA, JO, jo, miaId, js, joKeptDevice;
  const byKept = {}; // activity ids Jo's Kept device logged, by name
  let thisWeek, lastWeek, pastWeek, jsNewId, pastIds;

  const keptAt = (home, ...args) => execFileSync(KEPT, ["--home", home, ...args], { encoding: "utf8" });
  const keptAtJson = (home, ...args) => JSON.parse(keptAt(home, ...args, "--json"));
  /** [id, type, count] of Kept's `activities --json`, sorted by id. */
  const keptList = (home, week, ...more) =>
    keptAtJson(home, "activities", "--week", week, ...more)
      .map((a) => [a.id, a.kind, a.count])
      .sort((x, y) => (x[0] < y[0] ? -1 : 1));
  /** The same triple of the JS device's reading, for one week. */
  const jsList = (device, week) =>
    device
      .activities()
      .filter((a) => a.week === week)
      .map((a) => [a.id, a.type, a.count]);
  /** Mia's board for `week`: Jo's row as {kind: count}, non-zero cells only. */
  const boardOfJo = (week) => {
    const board = keptAtJson(MIA, "board", "--week", week);
    const row = board.rows.find((r) => r.rep === jo.id);
    assert.ok(row, `Jo has a row on Mia's board of ${week}: ${JSON.stringify(board.rows.map((r) => r.rep))}`);
    return Object.fromEntries(row.cells.filter((c) => c.count).map((c) => [c.kind, c.count]));
  };
  /** The JS device's reading of a week summed per type, as the board shows it. */
  const sums = (device, week) => {
    const out = {};
    for (const a of device.activities().filter((x) => x.week === week)) out[a.type] = (out[a.type] ?? 0) + a.count;
    return out;
  };
  const sorted = (o) => Object.fromEntries(Object.entries(o).sort());
  const agreeOn = (week, what) => {
    assert.deepEqual(jsList(js, week), keptList(JO, week), `${what}: the JS device and Jo's Kept device list the same activities of ${week} (id, type, count)`);
    assert.deepEqual(sorted(boardOfJo(week)), sorted(sums(js, week)), `${what}: Mia's board of ${week} shows Jo's numbers as the JS device reads them`);
  };

  before(async () => {
    dir = join(tmp ?? mkdtempSync(join(tmpdir(), "kept-interop-")), "second-device");
    mkdirSync(dir, { recursive: true });
    relayDb = join(dir, "relay.sqlite3");
    ({ proc, url: relayUrl } = await startRelay(relayDb));
    MIA = join(dir, "mia");
    JO = join(dir, "jo");
  });

  after(() => {
    if (proc && proc.exitCode === null) proc.kill("SIGTERM");
  });

  it("Kept: Mia (manager) and Jo (rep) join with the kept CLI; Jo logs activities on her first device and syncs", (t) => {
    const team = JSON.parse(
      execFileSync(RELAY, ["team", "create", "--name", "Initech", "--manager", "Mia", "--db", relayDb, "--json"], { encoding: "utf8" }),
    );
    miaId = keptAtJson(MIA, "join", relayUrl, team.invite).member.id;
    keptAt(MIA, "team", "set", "--tz", TZ);
    keptAt(MIA, "sync");
    const code = keptAtJson(MIA, "invite", "--role", "rep", "--name", "Jo").code;
    jo = keptAtJson(JO, "join", relayUrl, code, "--device", "jo laptop").member;
    assert.equal(jo.role, "rep");
    const now = new Date();
    thisWeek = F.logWeekOf(now, TZ);
    lastWeek = F.logWeekOf(new Date(now.getTime() - 7 * 86400000), TZ);
    byKept.call = keptAtJson(JO, "log", "call", "--count", "2", "--account", "Globex").id;
    byKept.email = keptAtJson(JO, "log", "email", "--note", "sent the deck").id;
    byKept.proposal = keptAtJson(JO, "log", "proposal", "--kare", "attain").id;
    byKept.lastWeek = keptAtJson(JO, "log", "conversation", "--duration", "15", "--at", F.rfc3339(new Date(now.getTime() - 7 * 86400000), TZ)).id;
    keptAt(JO, "sync");
    keptAt(MIA, "sync");
    [joKeptDevice] = keptAtJson(JO, "devices");
    assert.equal(joKeptDevice.member_id, jo.id, "Jo's own device list names her Kept device");
    assert.deepEqual(boardOfJo(thisWeek), { call: 2, email: 1, proposal: 1 }, "Mia's board before the JS client");
    note(t, `relay ${relayUrl}, team zone ${TZ}; Jo (${jo.id}) joined with kept (device ${joKeptDevice.id}), logged 3 activities in ${thisWeek} and 1 in ${lastWeek}, synced`);
  });

  it("PROTOCOL multi-device: the JS client joins with Jo's `kept invite --me` code as her second device, with its own device id", async (t) => {
    const inv = keptAtJson(JO, "invite", "--me");
    assert.equal(inv.role, "rep", "an invite for another device of Jo carries her role");
    js = new Device(relayUrl, "interop-js (Jo's 2nd device)");
    const r = await js.join(inv.code);
    assert.equal(r.member_id, jo.id, "the join answer names Jo's existing member id (same member, not a new one)");
    assert.equal(r.member_name, "Jo");
    assert.equal(r.role, "rep");
    assert.ok(r.device_id, "the join answer carries a device id");
    assert.notEqual(r.device_id, joKeptDevice.id, "the relay gives the JS device its own device id, not the Kept device's");
    const mine = await js.relay.devices();
    assert.deepEqual(
      mine.map((d) => d.id).sort(),
      [joKeptDevice.id, r.device_id].sort(),
      "GET /v1/devices (as Jo's JS device) lists Jo's two devices",
    );
    const team = keptAtJson(MIA, "devices").filter((d) => d.member_id === jo.id);
    assert.deepEqual(
      team.map((d) => d.id).sort(),
      [joKeptDevice.id, r.device_id].sort(),
      "`kept devices` on Mia's home lists both of Jo's devices",
    );
    assert.ok(team.every((d) => !d.revoked));
    note(t, `JS device ${r.device_id} joined as Jo (member ${r.member_id}); Mia's kept devices lists Jo's: ${team.map((d) => `${d.name} (${d.id.slice(-6)})`).join(", ")}`);
  });

  it("PROTOCOL pull: the JS device pulls page by page (cursor, more) and lists the same activities as Jo's Kept device", async (t) => {
    const got = await js.pull({ limit: 2 });
    assert.ok(got.pages.length > 1, `several pages of 2 changes: ${JSON.stringify(got.pages)}`);
    for (const [i, p] of got.pages.entries()) {
      assert.ok(p.changes <= 2, `page ${i} holds at most limit=2 changes`);
      assert.equal(p.more, i < got.pages.length - 1, `page ${i}: 'more' is true on every page but the last`);
      if (i) assert.equal(p.cursor, got.pages[i - 1].next, `page ${i} asks from the previous page's 'next'`);
    }
    assert.equal(got.snapshots.length, 0, "nothing is compacted yet: no snapshots, only changes");
    const seqs = got.changes.map((c) => c.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "changes come in sequence order");
    const ids = [...js.docs.keys()].sort();
    for (const id of ids) assert.ok(id === "team" || id.split("/")[1] === jo.id, `Jo may read ${id}`);
    assert.ok(js.docs.has(F.docId("log", jo.id, thisWeek)) && js.docs.has(F.docId("log", jo.id, lastWeek)), `Jo's log documents of ${thisWeek} and ${lastWeek}: ${ids}`);
    assert.equal(js.timeZone(), TZ, "the team's zone read from the team document");
    for (const w of [thisWeek, lastWeek]) {
      assert.deepEqual(jsList(js, w), keptList(JO, w), `activities of ${w}: the JS device's reading equals \`kept activities\` on Jo's Kept device`);
    }
    const call = js.activities().find((a) => a.id === byKept.call);
    assert.equal(call.account, "Globex", "a scalar str written by Kept reads as a string (FORMAT §1, §7.2)");
    const again = await js.pull({ limit: 2 });
    assert.equal(again.changes.length, 0, "a second pull from the cursor brings nothing new");
    note(t, `${got.changes.length} changes in ${got.pages.length} pages (limit 2), cursor now ${js.cursor}; ${ids.length} documents: ${ids.join(", ")}; ${js.activities().length} activities agree with Jo's kept`);
  });

  it("FORMAT §7.2: the JS device logs one activity, edits one field of a Kept activity, deletes another; Kept and the board agree", async (t) => {
    const added = js.logActivity({ type: "meeting-set", occurred_at: F.rfc3339(new Date(), TZ), count: 1, account: "Initrode" });
    jsNewId = added.id;
    assert.equal(added.doc, F.docId("log", jo.id, thisWeek), "the new activity goes in this week's document (held already: no genesis)");
    const edit = A.decodeChange(js.editActivity(byKept.call, { count: 4, account: "Globex" }));
    assert.equal(edit.ops.length, 1, `editing writes only the changed field (count; account is unchanged): ${JSON.stringify(edit.ops)}`);
    assert.equal(edit.ops[0].key, "count");
    assert.equal(edit.ops[0].action, "set");
    const del = A.decodeChange(js.deleteActivity(byKept.email));
    assert.equal(del.ops.length, 1, `a delete writes one op: ${JSON.stringify(del.ops)}`);
    assert.deepEqual([del.ops[0].action, del.ops[0].key, del.ops[0].value], ["set", "deleted", true], "deleted = true (bool), the key stays");
    assert.equal(js.outbox.length, 3, "three changes of the JS device's own actor, no genesis");
    const r = await js.push();
    assert.equal(r.json.acked.length, 3);
    keptAt(JO, "sync");
    keptAt(MIA, "sync");
    const mine = js.activities();
    assert.ok(mine.some((a) => a.id === jsNewId), "the JS device lists its new activity");
    assert.ok(!mine.some((a) => a.id === byKept.email), "the JS device skips the deleted one");
    assert.equal(mine.find((a) => a.id === byKept.call).count, 4);
    agreeOn(thisWeek, "after the JS device's log, edit and delete");
    const viaMia = keptAtJson(MIA, "activities", "--week", thisWeek, "--rep", "Jo");
    assert.deepEqual(viaMia.map((a) => a.id).sort(), jsList(js, thisWeek).map((a) => a[0]), "Mia's kept lists the same activities of Jo");
    const call = viaMia.find((a) => a.id === byKept.call);
    assert.equal(call.account, "Globex", "the field the JS device did not touch is unchanged");
    // The JS device pulls its own changes back: nothing changes in its reading.
    const before = JSON.stringify(js.activities());
    await js.pull();
    assert.equal(JSON.stringify(js.activities()), before, "pulling back its own changes leaves the JS device's reading as it was");
    note(t, `edit = 1 op (count 2→4), delete = 1 op (deleted=true); Mia's board ${thisWeek} for Jo: ${JSON.stringify(boardOfJo(thisWeek))}`);
  });

  it("FORMAT §7.2: the JS device and Jo's Kept device edit different fields of one activity concurrently; both edits survive", async (t) => {
    const before = js.activities().find((a) => a.id === byKept.proposal);
    js.editActivity(byKept.proposal, { count: 3 });
    keptAt(JO, "edit", byKept.proposal, "--note", "sent v2"); // offline: neither has synced
    await js.push();
    keptAt(JO, "sync");
    await js.pull();
    keptAt(MIA, "sync");
    const mine = js.activities().find((a) => a.id === byKept.proposal);
    assert.equal(mine.count, 3, "the JS device's count survives Kept's concurrent edit of the note");
    assert.equal(mine.note, "sent v2", "Kept's note survives the JS device's concurrent edit of the count");
    assert.equal(mine.occurred_at, before.occurred_at, "occurred_at is not rewritten by an edit of other fields");
    const k = keptAtJson(JO, "activities", "--week", thisWeek).find((a) => a.id === byKept.proposal);
    assert.deepEqual([k.count, k.note, k.kare], [3, "sent v2", "attain"], "Jo's Kept device reads both edits, and the kare it wrote");
    agreeOn(thisWeek, "after concurrent edits of one activity");
    note(t, `proposal ${byKept.proposal.slice(0, 13)}…: JS count 1→3 ∥ Kept note → 'sent v2': both survive on every side; board ${JSON.stringify(boardOfJo(thisWeek))}`);
  });

  it("FORMAT §4/§6: the JS device and Jo's Kept device create the same past week's document offline; both activities survive", async (t) => {
    const tenWeeksAgo = new Date(Date.now() - 70 * 86400000);
    pastWeek = F.logWeekOf(tenWeeksAgo, TZ);
    const id = F.docId("log", jo.id, pastWeek);
    assert.ok(!js.docs.has(id), `no document of ${pastWeek} yet`);
    assert.deepEqual(keptList(JO, pastWeek), [], `Jo's Kept device has nothing in ${pastWeek}`);
    // Both log before either syncs.
    const mine = js.logActivity({ type: "referral-asked", occurred_at: F.rfc3339(tenWeeksAgo, TZ), count: 2 });
    assert.equal(mine.doc, id);
    assert.equal(F.hex(js.outbox[0][1]), F.hex(F.genesisChange(id)), "a new document's genesis is queued before its first change");
    const theirs = keptAtJson(JO, "log", "conversation", "--at", F.rfc3339(new Date(tenWeeksAgo.getTime() + 3600000), TZ)).id;
    pastIds = [mine.id, theirs].sort();
    const r = await js.push();
    assert.equal(r.json.acked.length, 2, "genesis + the JS device's activity");
    keptAt(JO, "sync"); // pushes the same genesis (acknowledged again) and its own activity, pulls the JS one
    await js.pull();
    keptAt(MIA, "sync");
    const doc = js.docs.get(id);
    const roots = A.getBackend(doc).getAll("_root", "activities");
    assert.equal(roots.length, 1, `one 'activities' map at the root, no rival: ${JSON.stringify(roots)}`);
    const coll = F.getMap(doc, "_root", "activities");
    assert.ok(coll.endsWith(`@${F.genesisActor(id)}`), `the activities map is the genesis's object (${coll})`);
    assert.deepEqual(jsList(js, pastWeek).map((a) => a[0]), pastIds, `the JS device lists both activities of ${pastWeek}`);
    agreeOn(pastWeek, "the week created offline by both");
    assert.deepEqual(sorted(boardOfJo(pastWeek)), { conversation: 1, "referral-asked": 2 }, `Mia's numbers for ${pastWeek} include both devices' activities`);
    note(t, `${id}: both devices made it offline; after push/pull both list ${pastIds.length} activities; Mia's board ${pastWeek}: ${JSON.stringify(boardOfJo(pastWeek))}`);
  });

  it("FORMAT §6: the same, Kept pushing first: the JS device's genesis of a document the relay holds is acknowledged again", async (t) => {
    const elevenWeeksAgo = new Date(Date.now() - 77 * 86400000);
    const week = F.logWeekOf(elevenWeeksAgo, TZ);
    const id = F.docId("log", jo.id, week);
    assert.ok(!js.docs.has(id) && week !== pastWeek);
    const mine = js.logActivity({ type: "call", occurred_at: F.rfc3339(elevenWeeksAgo, TZ), count: 5 });
    const theirs = keptAtJson(JO, "log", "email", "--at", F.rfc3339(new Date(elevenWeeksAgo.getTime() + 7200000), TZ)).id;
    keptAt(JO, "sync"); // Kept's genesis and activity reach the relay first
    const r = await js.push();
    assert.deepEqual(r.json.acked, [A.decodeChange(F.genesisChange(id)).hash, A.decodeChange(mine.change).hash], "genesis (held already) and activity acknowledged");
    await js.pull();
    keptAt(JO, "sync");
    keptAt(MIA, "sync");
    assert.deepEqual(jsList(js, week).map((a) => a[0]), [mine.id, theirs].sort(), `the JS device lists both activities of ${week}`);
    agreeOn(week, "the week created offline by both, Kept first");
    assert.deepEqual(sorted(boardOfJo(week)), { call: 5, email: 1 });
    note(t, `${week}: Kept pushed first, the JS genesis was acknowledged again; Mia's board ${week}: ${JSON.stringify(boardOfJo(week))}`);
  });

  it("PROTOCOL pull snapshots: after `kept-relay compact` a fresh JS device of Jo bootstraps from snapshots and lists the same", async (t) => {
    const out = execFileSync(RELAY, ["compact", "--db", relayDb], { encoding: "utf8" });
    assert.match(out, /compacted 1 team/, out);
    // One change after the compaction, so the fresh device gets snapshots *and* changes after `upto`.
    const later = keptAtJson(JO, "log", "conversation", "--count", "3").id;
    keptAt(JO, "sync");
    keptAt(MIA, "sync");
    const fresh = new Device(relayUrl, "interop-js (Jo's 3rd device)");
    const r = await fresh.join(keptAtJson(JO, "invite", "--me").code);
    assert.equal(r.member_id, jo.id);
    const got = await fresh.pull({ limit: 2 });
    assert.ok(got.snapshots.length > 0, `the first page of cursor 0 carries snapshots: ${JSON.stringify(got.pages)}`);
    assert.equal(got.pages[0].snapshots, got.snapshots.length, "snapshots come on the first page only");
    const upto = new Set(got.snapshots.map((s) => s.upto));
    assert.equal(upto.size, 1, "every snapshot of the page covers up to the same 'upto'");
    assert.ok(got.changes.length >= 1, "the change logged after the compaction comes as a change");
    for (const c of got.changes) assert.ok(c.seq > [...upto][0], `change ${c.seq} comes after upto`);
    assert.ok(fresh.activities().some((a) => a.id === later), "the activity logged after the compaction is read (snapshot + change)");
    const snapDocs = got.snapshots.map((s) => s.doc).sort();
    for (const id of snapDocs) assert.ok(id === "team" || id.split("/")[1] === jo.id, `a snapshot of a document Jo may read (${id})`);
    for (const w of [thisWeek, lastWeek, pastWeek]) {
      assert.ok(snapDocs.includes(F.docId("log", jo.id, w)), `a snapshot of Jo's ${w}`);
    }
    await js.pull();
    assert.equal(js.lastPull.snapshots.length, 0, "a device past cursor 0 gets changes, never snapshots");
    assert.deepEqual(fresh.activities(), js.activities(), "the bootstrapped JS device reads what the first JS device reads");
    for (const w of [thisWeek, lastWeek, pastWeek]) agreeOn(w, `after compaction (${w})`);
    assert.deepEqual(jsList(fresh, pastWeek).map((a) => a[0]), pastIds);
    const devices = keptAtJson(MIA, "devices").filter((d) => d.member_id === jo.id);
    assert.equal(devices.length, 3, "Mia's kept devices lists Jo's three devices");
    note(t, `fresh JS device got ${got.snapshots.length} snapshots (upto ${[...upto][0]}: ${snapDocs.join(", ")}) and ${got.changes.length} changes; ${fresh.activities().length} activities, the same as the other JS device and Jo's kept`);
  });

  it("PROTOCOL snapshots a page at a time: a fresh JS device takes this week's documents first, the older logs after, then the changes, and lists the same", async (t) => {
    const fresh = new Device(relayUrl, "interop-js (Jo's 4th device)");
    await fresh.join(keptAtJson(JO, "invite", "--me").code);
    const recent = await fresh.takeSnapshots({ limit: 1, logs: `logs_from=${thisWeek}` });
    const recentDocs = recent.flatMap((p) => p.docs);
    assert.equal(recentDocs[0], "team", "the team document comes first (it says which week each activity is filed under)");
    assert.ok(recent.length >= recentDocs.length - 1, "at most one snapshot a page besides the team document");
    for (const id of recentDocs) {
      assert.ok(!(id.startsWith("log/") && id.split("/")[2] < thisWeek), `${id} is not a log older than ${thisWeek}`);
    }
    assert.ok(recentDocs.includes(F.docId("log", jo.id, thisWeek)), recentDocs.join(", "));
    const waiting = recent[0].later;
    assert.ok(waiting >= 2, `the first page says how many older logs wait: ${waiting}`);
    const older = await fresh.takeSnapshots({ limit: 1, logs: `logs_before=${thisWeek}` });
    const olderDocs = older.flatMap((p) => p.docs);
    assert.equal(olderDocs.length, waiting, "as many older logs as the first page said");
    for (const w of [lastWeek, pastWeek]) assert.ok(olderDocs.includes(F.docId("log", jo.id, w)), `Jo's ${w} is among the older logs`);
    fresh.cursor = fresh.snapUpto;
    const got = await fresh.pull();
    assert.equal(got.snapshots.length, 0, "a pull from the pages' upto brings changes only");
    assert.deepEqual(fresh.activities(), js.activities(), "the JS device that took pages reads what the first JS device reads");
    note(t, `${recentDocs.length} documents from ${thisWeek} in ${recent.length} pages (later: ${waiting}), then ${olderDocs.length} older logs, then ${got.changes.length} changes from cursor ${fresh.snapUpto}; ${fresh.activities().length} activities, the same as the other JS device`);
  });
});
