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

describe("Kept interop: a second client on @automerge/automerge", () => {
  before(async () => {
    assert.ok(KEPT && RELAY, "set KEPT_BIN and KEPT_RELAY_BIN to the built kept and kept-relay binaries");
    tmp = process.env.KEPT_INTEROP_TMP || mkdtempSync(join(tmpdir(), "kept-interop-"));
    mkdirSync(tmp, { recursive: true });
    db = join(tmp, "relay.sqlite3");
    relayProc = spawn(RELAY, ["serve", "--listen", "127.0.0.1:0", "--db", db], { stdio: ["ignore", "pipe", "pipe"] });
    relayProc.stderr.resume();
    const first = await new Promise((resolve, reject) => {
      const rl = createInterface({ input: relayProc.stdout });
      rl.once("line", resolve);
      relayProc.once("exit", (c) => reject(new Error(`kept-relay exited (${c}) before listening`)));
    });
    relayProc.stdout.resume();
    const m = /kept-relay listening on (http:\/\/\S+)/.exec(first);
    assert.ok(m, `unexpected first line from kept-relay: ${first}`);
    url = m[1];
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

  it("FORMAT §4/§5: every canonical change Kept writes (6 kinds, 3 later root maps) equals the JS one", async (t) => {
    const lastWeek = new Date(Date.now() - 7 * 86400000);
    kept("log", "call", "--rep", "Jo", "--at", F.rfc3339(lastWeek, tz));
    kept("target", "set", "call", "12", "--rep", "Jo");
    kept("deal", "add", "Globex renewal", "--amount", "25000", "--rep", "Jo");
    kept("dev", "goal", "Run discovery calls alone", "--rep", "Jo");
    kept("assess", "discovery-call", "pain=good", "--rep", "Jo");
    kept("team", "agenda", "one-on-one", "--item", "Wins", "--question", "What will you try?");
    kept("team", "criteria", "cold-call", "opener", "next-step");
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
      "log genesis",
      "plan genesis",
      "pipeline genesis",
      "coaching genesis",
      "coaching root-map development",
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
