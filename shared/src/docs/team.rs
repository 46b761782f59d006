//! The team document: name, time zone, week start, working days and the
//! activity catalog. Written by managers, read by the whole team.

use super::{get_bool, get_i64, get_str, map, put_opt_i64, put_opt_str, record, record_ids};
use crate::error::{CoreError, Result};
use crate::model::{parse_weekday, ActivityType, Kare, TeamSettings, Thresholds};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ReadDoc, ROOT};
use chrono::Weekday;

fn weekday_key(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

/// Reads the team's settings and catalog.
pub fn read(doc: &impl ReadDoc) -> Result<TeamSettings> {
    let settings = map(doc, &ROOT, "settings")?;
    let types = map(doc, &ROOT, "activity_types")?;
    let mut catalog: Vec<ActivityType> = record_ids(doc, &types)
        .into_iter()
        .filter_map(|key| {
            let o = record(doc, &types, &key).ok().flatten()?;
            Some(ActivityType {
                label: get_str(doc, &o, "label").unwrap_or_else(|| key.clone()),
                default_kare: get_str(doc, &o, "kare").and_then(|k| k.parse::<Kare>().ok()),
                leading: get_bool(doc, &o, "leading"),
                position: get_i64(doc, &o, "position").unwrap_or(i64::MAX),
                retired: get_bool(doc, &o, "retired"),
                key,
            })
        })
        .collect();
    catalog.sort_by(|a, b| a.position.cmp(&b.position).then(a.key.cmp(&b.key)));
    let working_days = get_str(doc, &settings, "working_days")
        .unwrap_or_default()
        .split(',')
        .filter_map(|d| parse_weekday(d).ok())
        .collect();
    let mut thresholds = Thresholds::default();
    for key in Thresholds::KEYS {
        if let Some(v) = get_i64(doc, &settings, &format!("warn_{key}")) {
            // A value out of range (written by a newer version) keeps the default.
            let _ = thresholds.set(key, v);
        }
    }
    Ok(TeamSettings {
        thresholds,
        name: get_str(doc, &settings, "name").unwrap_or_else(|| "My team".into()),
        time_zone: get_str(doc, &settings, "time_zone").unwrap_or_else(|| "UTC".into()),
        week_start: get_str(doc, &settings, "week_start").and_then(|d| parse_weekday(&d).ok()).unwrap_or(Weekday::Mon),
        working_days,
        catalog,
        locale: get_str(doc, &settings, "locale").filter(|l| check_locale(l).is_ok()).unwrap_or_default(),
        currency: get_str(doc, &settings, "currency").filter(|c| check_currency(c).is_ok()).unwrap_or_default(),
    })
}

/// A locale as the team setting takes it: a BCP 47 tag of letters and
/// digits, 2–35 characters (`en-US`, `de-DE`, `pt-BR`, `zh-Hant-TW`).
pub fn check_locale(tag: &str) -> Result<()> {
    let ok = (2..=35).contains(&tag.len())
        && tag.split('-').all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && tag
            .split('-')
            .next()
            .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(format!("'{tag}' is not a locale: expected a tag like en-US, de-DE or fr-CA")))
    }
}

/// A currency as the team setting takes it: an ISO 4217 code of three capital letters.
pub fn check_currency(code: &str) -> Result<()> {
    if code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(CoreError::invalid(format!(
            "'{code}' is not a currency code: expected three capital letters like USD or EUR"
        )))
    }
}

/// Sets how the team writes numbers and dates and its currency (each `None`
/// leaves it; an empty string goes back to the default).
pub fn set_format(doc: &mut AutoCommit, locale: Option<&str>, currency: Option<&str>) -> Result<()> {
    let settings = map(doc, &ROOT, "settings")?;
    for (key, value, check) in [
        ("locale", locale, check_locale as fn(&str) -> Result<()>),
        ("currency", currency, check_currency as fn(&str) -> Result<()>),
    ] {
        match value.map(str::trim) {
            None => {}
            Some("") => super::put_opt_str(doc, &settings, key, None)?,
            Some(v) => {
                check(v)?;
                doc.put(&settings, key, v)?;
            }
        }
    }
    Ok(())
}

/// Changes the team's name, time zone, week start or working days (each `None` leaves it).
pub fn set_settings(
    doc: &mut AutoCommit,
    name: Option<&str>,
    time_zone: Option<&str>,
    week_start: Option<Weekday>,
    working_days: Option<&[Weekday]>,
) -> Result<()> {
    let settings = map(doc, &ROOT, "settings")?;
    if let Some(n) = name {
        doc.put(&settings, "name", n)?;
    }
    if let Some(tz) = time_zone {
        tz.parse::<chrono_tz::Tz>().map_err(|_| {
            CoreError::invalid(format!("unknown time zone '{tz}': expected an IANA name like Europe/Berlin"))
        })?;
        doc.put(&settings, "time_zone", tz)?;
    }
    if let Some(d) = week_start {
        doc.put(&settings, "week_start", weekday_key(d))?;
    }
    if let Some(days) = working_days {
        if days.is_empty() {
            return Err(CoreError::invalid("working days must name at least one day"));
        }
        let s: Vec<&str> = days.iter().map(|d| weekday_key(*d)).collect();
        doc.put(&settings, "working_days", s.join(","))?;
    }
    Ok(())
}

/// The team's saved import mapping (JSON of `import::ColumnMap`), if any.
pub fn import_map(doc: &impl ReadDoc) -> Option<String> {
    let settings = map(doc, &ROOT, "settings").ok()?;
    get_str(doc, &settings, "import_map")
}

/// Saves the team's import mapping (JSON of `import::ColumnMap`).
pub fn set_import_map(doc: &mut AutoCommit, json: &str) -> Result<()> {
    let settings = map(doc, &ROOT, "settings")?;
    doc.put(&settings, "import_map", json)?;
    Ok(())
}

/// Adds an activity type to the catalog, or updates the one with that key.
pub fn upsert_type(doc: &mut AutoCommit, t: &ActivityType) -> Result<()> {
    let types = map(doc, &ROOT, "activity_types")?;
    let o = match record(doc, &types, &t.key)? {
        Some(o) => o,
        None => doc.put_object(&types, t.key.as_str(), ObjType::Map)?,
    };
    doc.put(&o, "label", t.label.as_str())?;
    put_opt_str(doc, &o, "kare", t.default_kare.map(Kare::as_str))?;
    doc.put(&o, "leading", t.leading)?;
    doc.put(&o, "position", t.position)?;
    doc.put(&o, "retired", t.retired)?;
    Ok(())
}

/// Writes warning-sign thresholds (already validated).
pub fn set_thresholds(doc: &mut AutoCommit, t: &Thresholds) -> Result<()> {
    let settings = map(doc, &ROOT, "settings")?;
    for key in Thresholds::KEYS {
        if let Some(v) = t.get(key) {
            doc.put(&settings, format!("warn_{key}").as_str(), v)?;
        }
    }
    Ok(())
}

/// A kudos: recognition the whole team sees.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Kudos {
    /// UUIDv7.
    pub id: String,
    /// Who gives it (member id).
    pub from: String,
    /// Who gets it (member id).
    pub to: String,
    /// What for.
    pub text: String,
    /// When (RFC 3339).
    pub at: String,
    /// What it is for: `activity:<id>`, `commitment:<id>` or `deal:<id>`.
    #[serde(default)]
    pub about: Option<String>,
    /// That record in words ("Proposal · Acme Corp", "Won: Acme renewal, 25,000").
    #[serde(default)]
    pub about_label: Option<String>,
}

/// The kudos feed, newest first.
pub fn kudos(doc: &impl ReadDoc) -> Result<Vec<Kudos>> {
    let coll = map(doc, &ROOT, "kudos")?;
    let mut out = Vec::new();
    for id in record_ids(doc, &coll) {
        let Some(o) = record(doc, &coll, &id)? else { continue };
        out.push(Kudos {
            from: get_str(doc, &o, "from").unwrap_or_default(),
            to: get_str(doc, &o, "to").unwrap_or_default(),
            text: get_str(doc, &o, "text").unwrap_or_default(),
            at: get_str(doc, &o, "at").unwrap_or_default(),
            about: get_str(doc, &o, "about"),
            about_label: get_str(doc, &o, "about_label"),
            id,
        });
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// Adds a kudos.
pub fn add_kudos(doc: &mut AutoCommit, k: &Kudos) -> Result<()> {
    let coll = map(doc, &ROOT, "kudos")?;
    let o = doc.put_object(&coll, k.id.as_str(), ObjType::Map)?;
    doc.put(&o, "from", k.from.as_str())?;
    doc.put(&o, "to", k.to.as_str())?;
    doc.put(&o, "text", k.text.as_str())?;
    doc.put(&o, "at", k.at.as_str())?;
    put_opt_str(doc, &o, "about", k.about.as_deref())?;
    put_opt_str(doc, &o, "about_label", k.about_label.as_deref())?;
    Ok(())
}

/// A team's own version of a template: a meeting agenda (`agendas`) or an
/// assessment map's criteria (`criteria`). Lists are stored one item a line,
/// each template one register: the last manager to edit it wins.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    /// Meeting type or interaction type key.
    pub key: String,
    /// Title (agendas).
    pub title: Option<String>,
    /// Agenda items, or criteria.
    pub items: Vec<String>,
    /// Coaching questions (agendas).
    pub questions: Vec<String>,
    /// For criteria published by the organisation's leaders: the version
    /// published (1, 2, …); `None` for the team's own.
    pub org_version: Option<i64>,
}

fn lines(s: Option<String>) -> Vec<String> {
    s.unwrap_or_default().lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

/// The team's template `key` in collection `coll` (`agendas` or `criteria`), if it set one.
pub fn template(doc: &impl ReadDoc, coll: &str, key: &str) -> Result<Option<Template>> {
    let Ok(c) = map(doc, &ROOT, coll) else { return Ok(None) };
    let Some(o) = record(doc, &c, key)? else { return Ok(None) };
    Ok(Some(Template {
        key: key.to_string(),
        title: get_str(doc, &o, "title"),
        items: lines(get_str(doc, &o, "items")),
        questions: lines(get_str(doc, &o, "questions")),
        org_version: get_i64(doc, &o, "org_version"),
    }))
}

/// Sets (`Some`) or removes (`None`, back to the default) a template; the
/// collection must exist (see `Tx::ensure_root_map`).
pub fn set_template(doc: &mut AutoCommit, coll: &str, key: &str, t: Option<&Template>) -> Result<()> {
    let c = map(doc, &ROOT, coll)?;
    let Some(t) = t else {
        if record(doc, &c, key)?.is_some() {
            doc.delete(&c, key)?;
        }
        return Ok(());
    };
    let o = match record(doc, &c, key)? {
        Some(o) => o,
        None => doc.put_object(&c, key, ObjType::Map)?,
    };
    put_opt_str(doc, &o, "title", t.title.as_deref())?;
    doc.put(&o, "items", t.items.join("\n").as_str())?;
    doc.put(&o, "questions", t.questions.join("\n").as_str())?;
    put_opt_i64(doc, &o, "org_version", t.org_version)?;
    Ok(())
}
