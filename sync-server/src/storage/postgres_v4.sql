-- kept-relay PostgreSQL schema, version 4: member names unique by one key on
-- every backend. `name_key` is the name's Unicode lowercase, computed by the
-- relay (`storage::name_key`), not by lower(), whose result depends on the
-- database's locale; version 1 compared lower(name). `kept-relay migrate`
-- fills the key of existing members in the same transaction (two active
-- members whose names now share a key both stay; see `rules::assign_name_keys`).
ALTER TABLE members ADD COLUMN name_key TEXT;
DROP INDEX IF EXISTS members_name;
CREATE UNIQUE INDEX members_name_key ON members(team_id, name_key) WHERE active;
