//! "New for you": what others did for me since I last looked — a manager
//! changing my target, a new action item, a meeting, kudos, a practice
//! challenge or its feedback — in words, newest first. The rep's Today
//! shows it, and the app raises each new item once as an OS notification
//! while it runs in the background.

use super::Kept;
use crate::docs::{challenge, coaching, get_i64, get_str, map, record, record_ids, DocId};
use crate::error::Result;
use automerge::ROOT;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NewsKind {
    /// A target of mine was set or changed by someone else.
    Target,
    /// An action item someone else gave me.
    Action,
    /// A meeting someone opened with me.
    Meeting,
    /// Kudos to me.
    Kudos,
    /// A practice challenge set for me.
    Challenge,
    /// Scores or comments on my practice answer.
    Feedback,
}

/// One thing that changed for me.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewsItem {
    /// Stable key (shown once per key).
    pub key: String,
    /// What kind.
    pub kind: NewsKind,
    /// When (RFC 3339).
    pub at: String,
    /// Who did it (name).
    pub by: String,
    /// In words, to the rep ("Mia set your Calls target to 60 a week").
    pub text: String,
}

fn after(at: &str, since: &DateTime<Utc>) -> bool {
    DateTime::parse_from_rfc3339(at).is_ok_and(|t| t.with_timezone(&Utc) > *since)
}

impl Kept {
    /// What others did for me since `since` (RFC 3339; `None`: the last
    /// seven days), newest first. Empty on a manager's or leader's device.
    pub fn news(&self, since: Option<&str>) -> Result<Vec<NewsItem>> {
        let me = self.me().clone();
        if me.role.reads_team() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let since = since
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now - Duration::days(7));
        let names: BTreeMap<String, String> = self.members()?.into_iter().map(|m| (m.id, m.name)).collect();
        let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| "Your manager".into());
        let team = self.team()?;
        let label = |kind: &str| {
            team.catalog.iter().find(|t| t.key == kind).map(|t| t.label.clone()).unwrap_or_else(|| kind.to_string())
        };
        let mut out = Vec::new();
        let mut push = |key: String, kind: NewsKind, at: &str, by: &str, text: String| {
            out.push(NewsItem { key, kind, at: at.to_string(), by: name(by), text });
        };
        if let Some(d) = self.store.load(&DocId::plan(&me.id))? {
            if let Ok(coll) = map(&d, &ROOT, "targets") {
                for key in record_ids(&d, &coll) {
                    let Some(o) = record(&d, &coll, &key)? else { continue };
                    let (by, at) = (get_str(&d, &o, "set_by").unwrap_or_default(), get_str(&d, &o, "set_at"));
                    let (Some(at), Some(count)) = (at, get_i64(&d, &o, "count")) else { continue };
                    if by.is_empty() || by == me.id || !after(&at, &since) {
                        continue;
                    }
                    // Keys are `from:<week>:<type>` (standing) or `week:<week>:<type>` (FORMAT.md §7.3).
                    let mut parts = key.splitn(3, ':');
                    let (Some(scope), Some(week), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
                        continue;
                    };
                    let when = if scope == "from" { format!("a week starting {week}") } else { format!("for {week}") };
                    let text = format!("{} set your {} target to {count} {when}", name(&by), label(kind));
                    push(format!("t:{key}:{at}"), NewsKind::Target, &at, &by, text);
                }
            }
        }
        if let Some(d) = self.store.load(&DocId::coaching(&me.id))? {
            if let Ok(coll) = map(&d, &ROOT, "action_items") {
                for id in record_ids(&d, &coll) {
                    let Some(o) = record(&d, &coll, &id)? else { continue };
                    let by = get_str(&d, &o, "created_by").unwrap_or_default();
                    let at = get_str(&d, &o, "created_at").unwrap_or_default();
                    let owner = get_str(&d, &o, "owner").unwrap_or_default();
                    if by.is_empty() || by == me.id || owner != me.id || !after(&at, &since) {
                        continue;
                    }
                    let text =
                        format!("New action item from {}: {}", name(&by), get_str(&d, &o, "text").unwrap_or_default());
                    push(format!("a:{id}"), NewsKind::Action, &at, &by, text);
                }
            }
            for m in coaching::meetings(&d, &me.id).unwrap_or_default() {
                let at = format!("{}T23:59:59+00:00", m.date);
                if m.created_by != me.id && after(&at, &since) {
                    let text =
                        format!("{} with {} on {}", crate::agenda::meeting_label(&m.kind), name(&m.created_by), m.date);
                    push(format!("m:{}", m.id), NewsKind::Meeting, &at, &m.created_by, text);
                }
            }
            for c in challenge::challenges(&d)? {
                if c.by != me.id && !c.withdrawn && after(&c.at, &since) {
                    let text = format!("New practice challenge from {}: {} (due {})", name(&c.by), c.prompt, c.due);
                    push(format!("c:{}", c.id), NewsKind::Challenge, &c.at, &c.by, text);
                }
            }
        }
        if let Some(r) = self.store.load(&DocId::review(&me.id))? {
            let tags = challenge::scored(&r)?;
            for a in coaching::assessments(&r, &me.id)? {
                if tags.contains_key(&a.id) && after(&a.at, &since) {
                    let text = format!("{} scored your practice answer", name(&a.by));
                    push(format!("f:{}", a.id), NewsKind::Feedback, &a.at, &a.by, text);
                }
            }
        }
        for k in self.kudos()? {
            if k.to == me.id && k.from != me.id && after(&k.at, &since) {
                let text = format!("Kudos from {}: {}", name(&k.from), k.text);
                push(format!("k:{}", k.id), NewsKind::Kudos, &k.at, &k.from, text);
            }
        }
        out.sort_by(|a, b| b.at.cmp(&a.at).then(a.key.cmp(&b.key)));
        Ok(out)
    }

    /// News not yet raised as a notification on this device, and marks them raised.
    pub fn news_to_notify(&mut self) -> Result<Vec<NewsItem>> {
        let since = self.store.meta("news_notified_at")?;
        let news = self.news(since.as_deref())?;
        self.store.set_meta("news_notified_at", &self.clock.now().to_rfc3339())?;
        // The first time on a device: nothing old pops up.
        Ok(if since.is_none() { Vec::new() } else { news })
    }
}
