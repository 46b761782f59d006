-- kept-relay PostgreSQL schema, version 6: blobs (recordings, docs/PROTOCOL.md
-- "Blobs"), per team and per reader of their document (its subject, or '' for
-- the team document): the same bytes under one reader are one row. `hash` is
-- the SHA-256 (64 lowercase hex digits), `doc` the document it was first
-- offered for, `created_by` the member who offered it; `complete` once every
-- byte arrived and matched the hash.
CREATE TABLE blobs (
    team_id     TEXT NOT NULL,
    reader      TEXT NOT NULL,
    hash        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    mime        TEXT NOT NULL,
    doc         TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    complete    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (team_id, reader, hash)
);
-- The bytes, unless the operator keeps them in a directory (`--blob-dir`):
-- rows of at most 256 KiB at offset `pos`, contiguous from 0. Recordings are
-- compressed already, so PostgreSQL does not try again (STORAGE EXTERNAL).
CREATE TABLE blob_chunks (
    team_id  TEXT NOT NULL,
    reader   TEXT NOT NULL,
    hash     TEXT NOT NULL,
    pos      BIGINT NOT NULL,
    bytes    BYTEA NOT NULL,
    PRIMARY KEY (team_id, reader, hash, pos)
);
ALTER TABLE blob_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;
