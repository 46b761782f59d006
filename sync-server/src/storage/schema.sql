-- kept-relay SQLite schema (version 6: version 2 plus actors, docs.version and compaction_failures (3), members.name_key (4), organisations: orgs, teams.org_id, members.via, devices.parent (5), and blobs (6); an older file gets the added columns at open). Applied by `kept-relay migrate` and at start.
-- `org_id`: the organisation the team belongs to (NULL: none). Last, as version 5 added it.
CREATE TABLE IF NOT EXISTS teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    org_id      TEXT
);
-- An organisation of teams. Its leaders are the managers of its leadership
-- team (a team of its own, where the teams' managers are the coachees).
CREATE TABLE IF NOT EXISTS orgs (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    leadership_team  TEXT NOT NULL UNIQUE REFERENCES teams(id),
    created_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS teams_org ON teams(org_id);
-- The per-team sequence counter, bumped inside the transaction that stores changes.
CREATE TABLE IF NOT EXISTS team_seq (
    team_id    TEXT PRIMARY KEY REFERENCES teams(id),
    seq        INTEGER NOT NULL,
    compacted  INTEGER NOT NULL DEFAULT 0
);
-- `name_key` is the name's Unicode lowercase (`storage::name_key`, computed by
-- the relay so both backends agree): unique among the team's active members.
-- Last, as version 4 added it; NULL only until the relay fills it at open.
CREATE TABLE IF NOT EXISTS members (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    name_key    TEXT,
    -- A leader's row in a team of their organisation: the leadership-team
    -- member it stands for (version 5).
    via         TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS members_name_key ON members(team_id, name_key) WHERE active = 1;
CREATE TABLE IF NOT EXISTS devices (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    member_id   TEXT NOT NULL REFERENCES members(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    -- A leader's team device: the leadership-team device it derives from,
    -- revoked with it (version 5).
    parent      TEXT
);
CREATE INDEX IF NOT EXISTS devices_member ON devices(member_id);
CREATE INDEX IF NOT EXISTS devices_parent ON devices(parent);
CREATE TABLE IF NOT EXISTS invites (
    code_hash   TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    role        TEXT NOT NULL,
    name        TEXT,
    member_id   TEXT,
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    used_at     INTEGER,
    device_id   TEXT
);
-- Metadata registered at a document's first push; access is decided from it.
CREATE TABLE IF NOT EXISTS docs (
    id        INTEGER PRIMARY KEY,
    team_id   TEXT NOT NULL REFERENCES teams(id),
    doc       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT,
    -- How many changes are stored for the document: the relay's cache of
    -- documents under validation is valid only at this version.
    version   INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_name ON docs(team_id, doc);
-- `reader` is the subject member, or '' for the team document (readable by all).
-- `hash` is the 32-byte change hash. Idempotency looks a change up by
-- (document, actor key, actor seq) and compares the hash: unlike the random
-- hash, that key is ordered the way a device pushes, so inserts stay local.
-- `akey` is the actor id's first 8 bytes as an integer.
CREATE TABLE IF NOT EXISTS changes (
    team_id  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    doc_id   INTEGER NOT NULL,
    akey     INTEGER NOT NULL,
    aseq     INTEGER NOT NULL,
    reader   TEXT NOT NULL,
    hash     BLOB NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (team_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS changes_actor ON changes(doc_id, akey, aseq);
CREATE INDEX IF NOT EXISTS changes_reader ON changes(team_id, reader, seq);
-- Compacted documents covering every change up to team_seq.compacted.
CREATE TABLE IF NOT EXISTS snapshots (
    team_id  TEXT NOT NULL,
    doc      TEXT NOT NULL,
    reader   TEXT NOT NULL,
    data     BLOB NOT NULL,
    PRIMARY KEY (team_id, doc)
) WITHOUT ROWID;
-- Changes `kept-relay check --repair` had to drop (unreadable or unusable),
-- so the check does not report their sequence numbers as gaps again.
CREATE TABLE IF NOT EXISTS lost_changes (
    team_id  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    doc      TEXT,
    hash     BLOB,
    reason   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (team_id, seq)
);
-- Every non-canonical actor, bound to the member whose device first pushed it.
CREATE TABLE IF NOT EXISTS actors (
    team_id    TEXT NOT NULL,
    actor      BLOB NOT NULL,
    member_id  TEXT NOT NULL,
    PRIMARY KEY (team_id, actor)
) WITHOUT ROWID;
-- Documents the compactor could not load: their snapshot is the raw log
-- instead, and `kept-relay check` names them.
CREATE TABLE IF NOT EXISTS compaction_failures (
    team_id  TEXT NOT NULL,
    doc      TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (team_id, doc)
);
-- Blobs (recordings, docs/PROTOCOL.md "Blobs"), per team and per reader of
-- their document (its subject, or '' for the team document): the same bytes
-- under one reader are one row. `hash` is the SHA-256 (64 lowercase hex
-- digits), `doc` the document it was first offered for, `created_by` the
-- member who offered it; `complete` once every byte arrived and matched the
-- hash. The bytes are files in the blob directory (`<database>.blobs/` unless
-- the operator names another), not in this database (version 6).
CREATE TABLE IF NOT EXISTS blobs (
    team_id     TEXT NOT NULL,
    reader      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mime        TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    complete    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, reader, hash)
) WITHOUT ROWID;
PRAGMA user_version = 6;
