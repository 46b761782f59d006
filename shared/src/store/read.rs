//! Typed queries over the materialised views and the roster: the only way
//! code outside `store/` reads them. Every query returns model types; the
//! SQL and the table layout stay private to the store.

use super::Store;
use crate::docs::DocId;
use crate::error::Result;
use crate::model::{ActionItem, ActionStatus, Activity, Commitment, CommitmentKind, Member, Target, TeamSettings};
use crate::week::Week;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use std::collections::BTreeMap;

const ACTIVITY_COLS: &str =
    "id, rep, type, kare, occurred_at, count, duration_min, outcome, account, deal, note, logged_by";

fn activity(r: &Row<'_>) -> rusqlite::Result<Activity> {
    Ok(Activity {
        id: r.get(0)?,
        rep: r.get(1)?,
        kind: r.get(2)?,
        kare: r.get::<_, Option<String>>(3)?.and_then(|k| k.parse().ok()),
        occurred_at: r.get(4)?,
        count: r.get(5)?,
        duration_min: r.get(6)?,
        outcome: r.get(7)?,
        account: r.get(8)?,
        deal: r.get(9)?,
        note: r.get(10)?,
        logged_by: r.get(11)?,
    })
}

const ITEM_COLS: &str = "id, rep, owner, text, due, status, result, source, created_at";

fn action_item(r: &Row<'_>) -> rusqlite::Result<ActionItem> {
    Ok(ActionItem {
        id: r.get(0)?,
        rep: r.get(1)?,
        owner: r.get(2)?,
        text: r.get(3)?,
        due: r.get(4)?,
        status: r.get::<_, String>(5)?.parse().unwrap_or(ActionStatus::Open),
        result: r.get(6)?,
        source: r.get(7)?,
        created_at: r.get(8)?,
    })
}

const COMMITMENT_COLS: &str = "id, rep, week, kind, activity, count, text";

fn commitment(r: &Row<'_>) -> rusqlite::Result<Commitment> {
    Ok(Commitment {
        id: r.get(0)?,
        rep: r.get(1)?,
        week: r.get(2)?,
        kind: r.get::<_, String>(3)?.parse().unwrap_or(CommitmentKind::Outcome),
        activity: r.get(4)?,
        count: r.get(5)?,
        text: r.get(6)?,
    })
}

/// Which action items to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct ItemQuery<'a> {
    /// Only items about or owned by this member (a rep's own view).
    pub mine: Option<&'a str>,
    /// Only items kept for this rep.
    pub rep: Option<&'a str>,
    /// Only this status.
    pub status: Option<ActionStatus>,
}

/// A closed deal's numbers, for win rates and cycle lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedDeal {
    /// Won (else lost).
    pub won: bool,
    /// Amount.
    pub amount: i64,
    /// When it was created (RFC 3339), if known.
    pub created_at: Option<String>,
    /// When it was closed (RFC 3339), if known.
    pub closed_at: Option<String>,
}

impl Store {
    /// The team's settings as last read from the team document, if it arrived.
    /// Kept in memory until a write of the team document, a failed write or
    /// another connection's commit drops them.
    pub fn team_settings(&self) -> Result<Option<TeamSettings>> {
        cached_team_settings(&self.conn, &self.team)
    }

    /// Active members this device knows, by name.
    pub fn members(&self) -> Result<Vec<Member>> {
        let mut st = self.conn.prepare_cached("SELECT id, name, role FROM members WHERE active = 1 ORDER BY name")?;
        let rows =
            st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
        let mut out = Vec::new();
        for r in rows {
            let (id, name, role) = r?;
            out.push(Member { id, name, role: role.parse()? });
        }
        Ok(out)
    }

    /// One activity by id.
    pub fn activity(&self, id: &str) -> Result<Option<Activity>> {
        let sql = format!("SELECT {ACTIVITY_COLS} FROM activities WHERE id = ?1");
        Ok(self.conn.query_row(&sql, params![id], activity).optional()?)
    }

    /// The log document holding activity `id`.
    pub fn activity_doc(&self, id: &str) -> Result<Option<DocId>> {
        let doc: Option<String> =
            self.conn.query_row("SELECT doc_id FROM activities WHERE id = ?1", params![id], |r| r.get(0)).optional()?;
        Ok(doc.map(|d| d.parse()).transpose()?)
    }

    /// A rep's activities in `[from, to)`, by time; every rep's with `rep` None.
    pub fn activities_between(
        &self,
        rep: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Activity>> {
        // One statement per case, so one rep's read takes the (rep, time) index
        // (both bind the same three values; `?1 IS NULL` is always true there).
        let sql = match rep {
            Some(_) => format!(
                "SELECT {ACTIVITY_COLS} FROM activities WHERE rep = ?1 AND occurred_utc >= ?2
                 AND occurred_utc < ?3 ORDER BY occurred_utc, id"
            ),
            None => format!(
                "SELECT {ACTIVITY_COLS} FROM activities WHERE ?1 IS NULL AND occurred_utc >= ?2
                 AND occurred_utc < ?3 ORDER BY occurred_utc, id"
            ),
        };
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map(params![rep, from.timestamp(), to.timestamp()], activity)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Counts per activity type for `rep` in `[from, to)`.
    pub fn counts(&self, rep: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<BTreeMap<String, i64>> {
        let mut st = self.conn.prepare_cached(
            "SELECT type, SUM(count) FROM activities WHERE rep = ?1 AND occurred_utc >= ?2 AND occurred_utc < ?3
             GROUP BY type",
        )?;
        let rows = st.query_map(params![rep, from.timestamp(), to.timestamp()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Effort per KARE type (`none` for activities without one): the count of
    /// activities of `rep` (every rep's with None) from `from`, before `to` if given.
    pub fn kare_effort(
        &self,
        rep: Option<&str>,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
    ) -> Result<BTreeMap<String, i64>> {
        // One statement per case, so SQLite takes the (rep, time) index for
        // one rep: with `?1 IS NULL OR rep = ?1` it scanned every rep's
        // activities from `from` on (2 ms a call with 50 reps; the leader's
        // view makes 200 calls a team).
        let (from, to) = (from.timestamp(), to.map_or(i64::MAX, |t| t.timestamp()));
        let row = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?));
        let rows = match rep {
            Some(rep) => self
                .conn
                .prepare_cached(
                    "SELECT COALESCE(kare, 'none'), SUM(count) FROM activities
                     WHERE rep = ?1 AND occurred_utc >= ?2 AND occurred_utc < ?3 GROUP BY 1",
                )?
                .query_map(params![rep, from, to], row)?
                .collect::<rusqlite::Result<_>>()?,
            // Every rep's, rep by rep through the same index (the reps with
            // any activity are the weekly aggregate's).
            None => self
                .conn
                .prepare_cached(
                    "SELECT COALESCE(kare, 'none'), SUM(count) FROM activities
                     WHERE rep IN (SELECT DISTINCT rep FROM weekly_counts)
                     AND occurred_utc >= ?1 AND occurred_utc < ?2 GROUP BY 1",
                )?
                .query_map(params![from, to], row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    }

    /// When `rep` last logged anything (unix seconds).
    pub fn last_activity(&self, rep: &str) -> Result<Option<i64>> {
        let mut st = self.conn.prepare_cached("SELECT MAX(occurred_utc) FROM activities WHERE rep = ?1")?;
        Ok(st.query_row(params![rep], |r| r.get(0)).optional()?.flatten())
    }

    /// Every rep's counts per activity type in `week`, from the weekly aggregate.
    pub fn week_counts(&self, week: Week) -> Result<BTreeMap<String, BTreeMap<String, i64>>> {
        let mut st = self.conn.prepare_cached("SELECT rep, type, count FROM weekly_counts WHERE week = ?1")?;
        let rows = st.query_map(params![week.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })?;
        let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for r in rows {
            let (rep, kind, count) = r?;
            out.entry(rep).or_default().insert(kind, count);
        }
        Ok(out)
    }

    /// Rows (week label, rep, type, count) of the weekly aggregate with week
    /// labels in `[first, last]` (labels sort like weeks).
    pub fn weekly_counts(&self, first: &str, last: &str) -> Result<Vec<(String, String, String, i64)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT week, rep, type, count FROM weekly_counts WHERE week >= ?1 AND week <= ?2")?;
        let rows = st.query_map(params![first, last], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The target per activity type that applies to `rep` in `week`: a
    /// one-week override, else the latest standing target started on or before it.
    pub fn targets_for(&self, rep: &str, week: Week) -> Result<BTreeMap<String, i64>> {
        let w = week.to_string();
        let mut st = self.conn.prepare_cached(
            "SELECT type, count FROM targets WHERE rep = ?1 AND week <= ?2 AND (standing = 1 OR week = ?2)
             ORDER BY type, standing DESC, week",
        )?;
        let rows = st.query_map(params![rep, w], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = BTreeMap::new();
        // Standing ones (by week, ascending) first and the override last, so later rows win.
        for r in rows {
            let (k, c) = r?;
            out.insert(k, c);
        }
        Ok(out)
    }

    /// Every target, by rep, type and week.
    pub fn all_targets(&self) -> Result<Vec<Target>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT rep, type, week, standing, count, set_by FROM targets ORDER BY rep, type, week")?;
        let rows = st.query_map([], |r| {
            Ok(Target {
                rep: r.get(0)?,
                kind: r.get(1)?,
                week: r.get(2)?,
                standing: r.get(3)?,
                count: r.get(4)?,
                set_by: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A rep's commitments for `week`; every commitment (by week, rep) with None.
    pub fn commitments(&self, rep_week: Option<(&str, Week)>) -> Result<Vec<Commitment>> {
        let (rep, week) = match rep_week {
            Some((r, w)) => (Some(r), Some(w.to_string())),
            None => (None, None),
        };
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {COMMITMENT_COLS} FROM commitments WHERE (?1 IS NULL OR (rep = ?1 AND week = ?2))
             ORDER BY week, rep, id"
        ))?;
        let rows = st.query_map(params![rep, week], commitment)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One action item by id.
    pub fn action_item(&self, id: &str) -> Result<Option<ActionItem>> {
        let sql = format!("SELECT {ITEM_COLS} FROM action_items WHERE id = ?1");
        Ok(self.conn.query_row(&sql, params![id], action_item).optional()?)
    }

    /// Action items, open first, by due date.
    pub fn action_items(&self, q: ItemQuery<'_>) -> Result<Vec<ActionItem>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLS} FROM action_items WHERE (?1 IS NULL OR rep = ?1 OR owner = ?1)
             AND (?2 IS NULL OR rep = ?2) AND (?3 IS NULL OR status = ?3)
             ORDER BY CASE status WHEN 'open' THEN 0 ELSE 1 END, due, created_at, id"
        ))?;
        let rows = st.query_map(params![q.mine, q.rep, q.status.map(|s| s.as_str())], action_item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A rep's open action items due before `today` (YYYY-MM-DD), by due date.
    pub fn overdue_items(&self, rep: &str, today: &str) -> Result<Vec<ActionItem>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {ITEM_COLS} FROM action_items WHERE rep = ?1 AND status = 'open' AND due < ?2 ORDER BY due"
        ))?;
        let rows = st.query_map(params![rep, today], action_item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The rep whose pipeline holds deal `id`.
    pub fn deal_rep(&self, id: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT rep FROM deals WHERE id = ?1", params![id], |r| r.get(0)).optional()?)
    }

    /// The deals `rep` closed in `[from, to)` (closing times compared as RFC 3339 text).
    pub fn closed_deals(&self, rep: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ClosedDeal>> {
        let mut st = self.conn.prepare_cached(
            "SELECT status, amount, created_at, closed_at FROM deals
             WHERE rep = ?1 AND status IN ('won', 'lost') AND closed_at >= ?2 AND closed_at < ?3",
        )?;
        let rows = st.query_map(params![rep, from.to_rfc3339(), to.to_rfc3339()], |r| {
            Ok(ClosedDeal {
                won: r.get::<_, String>(0)? == "won",
                amount: r.get(1)?,
                created_at: r.get(2)?,
                closed_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deals `rep` won and lost, all time: (won, lost).
    pub fn won_lost(&self, rep: &str) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(status = 'won'), 0), COALESCE(SUM(status = 'lost'), 0) FROM deals WHERE rep = ?1",
            params![rep],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Won deals per KARE type (`none` without one) of `rep` (every rep's
    /// with None) closed since `since`: KARE → (amount, deals).
    pub fn kare_won(&self, rep: Option<&str>, since: DateTime<Utc>) -> Result<BTreeMap<String, (i64, i64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT COALESCE(kare, 'none'), SUM(amount), COUNT(*) FROM deals
             WHERE (?1 IS NULL OR rep = ?1) AND status = 'won' AND closed_at >= ?2 GROUP BY 1",
        )?;
        let rows = st.query_map(params![rep, since.to_rfc3339()], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl super::Tx<'_> {
    /// [`Store::team_settings`] as this write transaction reads them: no
    /// read transaction of its own, and a change this transaction made to
    /// the team document is seen.
    pub fn team_settings(&self) -> Result<Option<TeamSettings>> {
        if self.team_changed {
            // Not committed yet: not for the cache.
            return read_team_settings(&self.tx);
        }
        cached_team_settings(&self.tx, self.team)
    }
}

/// The team's settings through `conn`, from `cache` while its
/// `PRAGMA data_version` (which another connection's commit changes) holds.
fn cached_team_settings(conn: &rusqlite::Connection, cache: &super::TeamCache) -> Result<Option<TeamSettings>> {
    let version: i64 = conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
    if let Some((v, t)) = cache.borrow().as_ref() {
        if *v == version {
            return Ok(Some(t.clone()));
        }
    }
    let settings = read_team_settings(conn)?;
    cache.replace(settings.clone().map(|t| (version, t)));
    Ok(settings)
}

/// The team's settings view through `conn`.
fn read_team_settings(conn: &rusqlite::Connection) -> Result<Option<TeamSettings>> {
    let json: Option<String> =
        conn.prepare_cached("SELECT json FROM team_settings WHERE id = 1")?.query_row([], |r| r.get(0)).optional()?;
    json.map(|j| serde_json::from_str(&j).map_err(|e| crate::CoreError::Document(format!("team settings: {e}"))))
        .transpose()
}
