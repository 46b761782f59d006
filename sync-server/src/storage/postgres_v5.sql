-- kept-relay PostgreSQL schema, version 5: organisations of teams. A leader
-- is a manager of the organisation's leadership team; the relay adds them to
-- each team of the organisation with the role 'leader' (`members.via` names
-- the leadership-team member) and gives them devices derived from their own
-- (`devices.parent`, revoked with it).
CREATE TABLE orgs (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    leadership_team  TEXT NOT NULL UNIQUE REFERENCES teams(id),
    created_at       BIGINT NOT NULL
);
ALTER TABLE teams ADD COLUMN org_id TEXT;
CREATE INDEX teams_org ON teams(org_id);
ALTER TABLE members ADD COLUMN via TEXT;
ALTER TABLE devices ADD COLUMN parent TEXT;
CREATE INDEX devices_parent ON devices(parent);
