-- kept-relay PostgreSQL schema, version 1 (mirrors schema.sql for SQLite).
CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
-- The per-team sequence counter. A push locks this row, then bumps it in the
-- transaction that stores its changes, so seqs become visible in commit order.
CREATE TABLE team_seq (
    team_id    TEXT PRIMARY KEY REFERENCES teams(id),
    seq        BIGINT NOT NULL,
    compacted  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE members (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX members_team ON members(team_id, created_at);
CREATE UNIQUE INDEX members_name ON members(team_id, lower(name)) WHERE active;
CREATE TABLE devices (
    id          TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    member_id   TEXT NOT NULL REFERENCES members(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX devices_member ON devices(member_id);
CREATE INDEX devices_team ON devices(team_id, created_at);
CREATE TABLE invites (
    code_hash   TEXT PRIMARY KEY,
    team_id     TEXT NOT NULL REFERENCES teams(id),
    role        TEXT NOT NULL,
    name        TEXT,
    member_id   TEXT,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    used_at     BIGINT,
    device_id   TEXT
);
-- Metadata registered at a document's first push; access is decided from it.
CREATE TABLE docs (
    id        BIGSERIAL PRIMARY KEY,
    team_id   TEXT NOT NULL REFERENCES teams(id),
    doc       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    subject   TEXT,
    UNIQUE (team_id, doc)
);
-- `reader` is the subject member, or '' for the team document (readable by all).
-- `hash` is the 32-byte change hash; a change is stored once per document.
CREATE TABLE changes (
    team_id  TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    doc_id   BIGINT NOT NULL REFERENCES docs(id),
    reader   TEXT NOT NULL,
    hash     BYTEA NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (team_id, seq)
);
CREATE UNIQUE INDEX changes_hash ON changes(doc_id, hash);
CREATE INDEX changes_reader ON changes(team_id, reader, seq);
-- Compacted documents covering every change up to team_seq.compacted.
CREATE TABLE snapshots (
    team_id  TEXT NOT NULL,
    doc      TEXT NOT NULL,
    reader   TEXT NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (team_id, doc)
);
