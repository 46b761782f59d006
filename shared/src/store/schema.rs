//! The local SQLite schema: documents and their changes, the outbox, the sync
//! state, and the materialised views the screens query.

/// Bumped when the schema changes; `Store::open` refuses newer stores.
pub const SCHEMA_VERSION: i64 = 4;

/// Creates every table and index (idempotent).
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per Automerge document: its compacted snapshot (may be empty) and heads.
CREATE TABLE IF NOT EXISTS documents (
    id        TEXT PRIMARY KEY,
    kind      TEXT NOT NULL,
    subject   TEXT,
    period    TEXT,
    snapshot  BLOB NOT NULL DEFAULT x'',
    heads     TEXT NOT NULL DEFAULT '',
    pending   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL DEFAULT ''
);

-- Changes made since the document's snapshot (folded in by compaction).
-- WITHOUT ROWID (v3): the key is the table, one b-tree page per insert.
CREATE TABLE IF NOT EXISTS doc_changes (
    doc_id TEXT NOT NULL,
    hash   TEXT NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (doc_id, hash)
) WITHOUT ROWID;

-- Changes this device holds that the relay has not acknowledged yet, in the
-- order they were written. `seq` may be reused once its row is gone (no
-- AUTOINCREMENT since v3), so a row is acknowledged by `seq` and `hash`
-- together. No index on `hash` (v4): a tap writes one b-tree here, and the
-- rare paths that put a change back (re-offer, retry) look for it first.
CREATE TABLE IF NOT EXISTS outbox (
    seq    INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    hash   TEXT NOT NULL,
    bytes  BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS members (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    role   TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

-- ---- materialised views (rebuilt from the documents at any time) ----
CREATE TABLE IF NOT EXISTS team_settings (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS activities (
    id           TEXT PRIMARY KEY,
    doc_id       TEXT NOT NULL,
    rep          TEXT NOT NULL,
    type         TEXT NOT NULL,
    kare         TEXT,
    occurred_at  TEXT NOT NULL,
    occurred_utc INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    duration_min INTEGER,
    outcome      TEXT,
    account      TEXT,
    deal         TEXT,
    note         TEXT,
    logged_by    TEXT NOT NULL,
    -- The team week (in the team's time zone and week start) it falls in.
    week         TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
-- Per rep by time; team-wide reads go rep by rep through it (no index on
-- the time alone since v4: one b-tree fewer per tap).
CREATE INDEX IF NOT EXISTS activities_rep_time ON activities (rep, occurred_utc);
CREATE INDEX IF NOT EXISTS activities_doc ON activities (doc_id);

CREATE TABLE IF NOT EXISTS targets (
    doc_id   TEXT NOT NULL,
    rep      TEXT NOT NULL,
    type     TEXT NOT NULL,
    week     TEXT NOT NULL,
    standing INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    set_by   TEXT NOT NULL,
    PRIMARY KEY (rep, type, standing, week)
);
CREATE INDEX IF NOT EXISTS targets_doc ON targets (doc_id);

CREATE TABLE IF NOT EXISTS commitments (
    id       TEXT PRIMARY KEY,
    doc_id   TEXT NOT NULL,
    rep      TEXT NOT NULL,
    week     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    activity TEXT,
    count    INTEGER NOT NULL,
    text     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS commitments_rep_week ON commitments (rep, week);
CREATE INDEX IF NOT EXISTS commitments_doc ON commitments (doc_id);

CREATE TABLE IF NOT EXISTS action_items (
    id         TEXT PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    rep        TEXT NOT NULL,
    owner      TEXT NOT NULL,
    text       TEXT NOT NULL,
    due        TEXT NOT NULL,
    status     TEXT NOT NULL,
    result     TEXT,
    source     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS action_items_owner ON action_items (owner, status, due);
CREATE INDEX IF NOT EXISTS action_items_rep ON action_items (rep, status, due);
CREATE INDEX IF NOT EXISTS action_items_doc ON action_items (doc_id);

CREATE TABLE IF NOT EXISTS deals (
    id             TEXT PRIMARY KEY,
    doc_id         TEXT NOT NULL,
    rep            TEXT NOT NULL,
    name           TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    stage          TEXT NOT NULL,
    kare           TEXT,
    expected_close TEXT,
    status         TEXT NOT NULL,
    closed_at      TEXT,
    created_at     TEXT
);
CREATE INDEX IF NOT EXISTS deals_rep ON deals (rep, status);
CREATE INDEX IF NOT EXISTS deals_doc ON deals (doc_id);
"#;

/// The weekly aggregate the board and trends read: per rep, team week and
/// activity type, the summed count and the number of records. Kept exact by
/// triggers on `activities` (so every path that writes the view keeps it),
/// with `recursive_triggers` on so `INSERT OR REPLACE` counts as a delete.
/// Applied after [`SCHEMA`] and after the v1 → v2 migration.
pub const WEEKLY: &str = r#"
CREATE TABLE IF NOT EXISTS weekly_counts (
    rep   TEXT NOT NULL,
    week  TEXT NOT NULL,
    type  TEXT NOT NULL,
    count INTEGER NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (week, rep, type)
) WITHOUT ROWID;

CREATE TRIGGER IF NOT EXISTS activities_weekly_ins AFTER INSERT ON activities BEGIN
    INSERT INTO weekly_counts (rep, week, type, count, n) VALUES (NEW.rep, NEW.week, NEW.type, NEW.count, 1)
    ON CONFLICT (week, rep, type) DO UPDATE SET count = count + excluded.count, n = n + 1;
END;

CREATE TRIGGER IF NOT EXISTS activities_weekly_del AFTER DELETE ON activities BEGIN
    UPDATE weekly_counts SET count = count - OLD.count, n = n - 1
    WHERE week = OLD.week AND rep = OLD.rep AND type = OLD.type;
    DELETE FROM weekly_counts WHERE week = OLD.week AND rep = OLD.rep AND type = OLD.type AND n <= 0;
END;

CREATE TRIGGER IF NOT EXISTS activities_weekly_upd AFTER UPDATE OF rep, week, type, count ON activities BEGIN
    UPDATE weekly_counts SET count = count - OLD.count, n = n - 1
    WHERE week = OLD.week AND rep = OLD.rep AND type = OLD.type;
    DELETE FROM weekly_counts WHERE week = OLD.week AND rep = OLD.rep AND type = OLD.type AND n <= 0;
    INSERT INTO weekly_counts (rep, week, type, count, n) VALUES (NEW.rep, NEW.week, NEW.type, NEW.count, 1)
    ON CONFLICT (week, rep, type) DO UPDATE SET count = count + excluded.count, n = n + 1;
END;
"#;

/// The view tables, in the order `rebuild_views` clears them.
pub const VIEW_TABLES: &[&str] =
    &["team_settings", "activities", "weekly_counts", "targets", "commitments", "action_items", "deals"];
