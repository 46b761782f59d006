-- kept-relay PostgreSQL schema, version 3: the relay as gatekeeper.
-- How many changes are stored per document: the relay's cache of documents
-- under validation is valid only at this version (several relays share it).
ALTER TABLE docs ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
UPDATE docs SET version = (SELECT count(*) FROM changes WHERE changes.doc_id = docs.id);
-- Every non-canonical actor, bound to the member whose device first pushed it.
CREATE TABLE actors (
    team_id    TEXT NOT NULL,
    actor      BYTEA NOT NULL,
    member_id  TEXT NOT NULL,
    PRIMARY KEY (team_id, actor)
);
-- Documents the compactor could not load: their snapshot is the raw log
-- instead, and `kept-relay check` names them.
CREATE TABLE compaction_failures (
    team_id  TEXT NOT NULL,
    doc      TEXT NOT NULL,
    reason   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (team_id, doc)
);
-- Revocations reach the live sockets of every relay instance.
