-- kept-relay PostgreSQL schema, version 7: `GET /v1/snapshots` pages a team's
-- snapshots by document id compared byte-wise (`COLLATE "C"`, whatever the
-- database's collation); this index serves that order, so a page reads its
-- rows in order instead of sorting the team's snapshots each time.
CREATE INDEX snapshots_team_doc_c ON snapshots (team_id, doc COLLATE "C");
