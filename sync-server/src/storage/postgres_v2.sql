-- kept-relay PostgreSQL schema, version 2: each change's actor and sequence
-- number, so a push can refuse a change that reuses an actor's sequence number
-- with different content (no client could apply both). Existing rows are
-- filled in by `kept-relay migrate` (the relay parses their bytes).
ALTER TABLE changes ADD COLUMN actor BYTEA;
ALTER TABLE changes ADD COLUMN aseq BIGINT;
CREATE INDEX changes_actor ON changes(doc_id, actor, aseq);
-- Changes `kept-relay check --repair` had to drop (unreadable or unusable),
-- so the check does not report their sequence numbers as gaps again.
CREATE TABLE lost_changes (
    team_id  TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    doc      TEXT,
    hash     BYTEA,
    reason   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (team_id, seq)
);
