//! Which column holds what: the presets for common CRM exports (recognised
//! from the header row), the generic header names, the CRMs' activity names
//! for Kept's types, and the fold that matches names case- and
//! accent-insensitively.

use super::durations::DurationUnit;
use unicode_normalization::UnicodeNormalization;

/// The fields an import reads; `ColumnMap` names them the same way.
pub const FIELDS: &[&str] =
    &["type", "occurred_at", "count", "kare", "account", "outcome", "note", "duration_min", "rep", "id"];

/// Generic header names for each field (compared folded), used when no preset
/// names the column.
pub const ALIASES: &[(&str, &[&str])] = &[
    ("type", &["type", "activity", "activity type", "activity_type", "kind", "task subtype", "event type"]),
    (
        "occurred_at",
        &[
            "occurred_at",
            "date",
            "time",
            "timestamp",
            "activity date",
            "start",
            "date/time",
            "due date",
            "created date",
        ],
    ),
    ("count", &["count", "quantity", "qty"]),
    ("kare", &["kare", "kare category"]),
    (
        "account",
        &["account", "company", "account name", "contact", "company / account", "organization", "company name"],
    ),
    ("outcome", &["outcome", "result", "status", "call result", "call outcome"]),
    ("note", &["note", "notes", "description", "comments", "subject"]),
    ("duration_min", &["duration_min", "duration", "minutes", "call duration", "talk time"]),
    (
        "rep",
        &[
            "rep",
            "owner",
            "assigned",
            "assigned to",
            "user",
            "activity owner",
            "owner name",
            "sales rep",
            "salesperson",
            "rep name",
            "member",
            "activity assigned to",
        ],
    ),
    ("id", &["id", "activity id", "record id", "task id", "row id"]),
];

/// A CRM export Kept knows by its header row.
#[derive(Debug)]
pub struct Preset {
    /// As the report names it.
    pub name: &'static str,
    /// The prefix of its rows' import keys.
    pub slug: &'static str,
    /// Headers (folded) that all appear in such an export.
    signature: &'static [&'static str],
    /// Field → header names (folded), first found wins.
    pub columns: &'static [(&'static str, &'static [&'static str])],
    /// A column holding the time of day apart from the date.
    pub time_of_day: &'static [&'static str],
    /// The unit of plain-number durations when the header does not say.
    pub duration_unit: Option<DurationUnit>,
}

/// The presets, most specific first.
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "Kept export",
        slug: "kept",
        signature: &["id", "rep", "type", "occurred_at", "duration_min"],
        columns: &[
            ("id", &["id"]),
            ("rep", &["rep"]),
            ("type", &["type"]),
            ("kare", &["kare"]),
            ("occurred_at", &["occurred_at"]),
            ("count", &["count"]),
            ("duration_min", &["duration_min"]),
            ("outcome", &["outcome"]),
            ("account", &["account"]),
            ("note", &["note"]),
        ],
        time_of_day: &[],
        duration_unit: Some(DurationUnit::Minutes),
    },
    Preset {
        name: "Salesforce activity report",
        slug: "salesforce",
        signature: &["assigned", "subject"],
        columns: &[
            ("id", &["activity id", "task id", "event id", "id"]),
            ("rep", &["assigned", "assigned to"]),
            ("type", &["task subtype", "type", "activity type", "event subtype"]),
            ("occurred_at", &["date", "activity date", "due date", "start", "start date time", "created date"]),
            ("account", &["company / account", "account name", "account", "company"]),
            ("note", &["subject"]),
            ("outcome", &["call result", "status"]),
            ("duration_min", &["call duration", "call duration (seconds)", "duration"]),
        ],
        time_of_day: &["time"],
        // Salesforce's call duration is in seconds (CallDurationInSeconds).
        duration_unit: Some(DurationUnit::Seconds),
    },
    Preset {
        name: "HubSpot activities",
        slug: "hubspot",
        signature: &["activity assigned to"],
        columns: &[
            ("id", &["record id", "activity id", "engagement id"]),
            ("rep", &["activity assigned to", "hubspot owner", "assigned to"]),
            ("type", &["activity type", "engagement type", "type"]),
            ("occurred_at", &["activity date", "create date", "timestamp"]),
            ("account", &["associated company", "associated companies", "company name"]),
            ("note", &["subject", "activity subject", "call title", "meeting name", "email subject", "body preview"]),
            ("outcome", &["call outcome", "meeting outcome", "outcome"]),
            ("duration_min", &["call duration", "duration"]),
        ],
        time_of_day: &[],
        duration_unit: None,
    },
    Preset {
        name: "Pipedrive activities",
        slug: "pipedrive",
        signature: &["activity - type"],
        columns: &[
            ("id", &["activity - id"]),
            ("rep", &["activity - assigned to user", "activity - user", "activity - owner"]),
            ("type", &["activity - type"]),
            ("occurred_at", &["activity - due date", "activity - marked as done time", "activity - add time"]),
            ("account", &["organization - name", "activity - organization", "deal - organization"]),
            ("note", &["activity - subject", "activity - note"]),
            ("duration_min", &["activity - duration"]),
        ],
        time_of_day: &["activity - due time"],
        duration_unit: None,
    },
];

/// The preset whose signature the (folded) headers hold.
pub fn recognise(headers: &[String]) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.signature.iter().all(|s| headers.iter().any(|h| h == s)))
}

/// The CRMs' activity names (folded) and the Kept type each is by default;
/// used only when the team's catalog has that type.
pub const TYPE_NAMES: &[(&str, &str)] = &[
    ("call", "call"),
    ("calls", "call"),
    ("logged call", "call"),
    ("phone call", "call"),
    ("outbound call", "call"),
    ("inbound call", "call"),
    ("call - outbound", "call"),
    ("dial", "call"),
    ("cold call", "call"),
    ("connected call", "conversation"),
    ("connect", "conversation"),
    ("conversation", "conversation"),
    ("meeting", "meeting-held"),
    ("meetings", "meeting-held"),
    ("event", "meeting-held"),
    ("meeting held", "meeting-held"),
    ("meeting completed", "meeting-held"),
    ("demo", "meeting-held"),
    ("meeting booked", "meeting-set"),
    ("meeting scheduled", "meeting-set"),
    ("meeting set", "meeting-set"),
    ("appointment set", "meeting-set"),
    ("email", "email"),
    ("e-mail", "email"),
    ("emails", "email"),
    ("logged email", "email"),
    ("sent email", "email"),
    ("email sent", "email"),
    ("proposal", "proposal"),
    ("proposal sent", "proposal"),
    ("quote", "proposal"),
    ("referral", "referral-asked"),
    ("referral asked", "referral-asked"),
];

/// A name folded for matching: lowercase, accents dropped (Á → a, ø → o,
/// ß → ss), inner white space one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd().flat_map(char::to_lowercase) {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        match c {
            'ø' => out.push('o'),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ß' => out.push_str("ss"),
            'ł' => out.push('l'),
            'đ' | 'ð' => out.push('d'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            c => out.push(c),
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_case_and_accents_away() {
        assert_eq!(fold("  Álvarez  GARCÍA "), "alvarez garcia");
        assert_eq!(fold("Søren Møller"), "soren moller");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("林 美玲"), "林 美玲");
        assert_eq!(fold("Zoë"), fold("zoe"));
    }

    #[test]
    fn presets_are_recognised_from_the_header_row() {
        let h = |hs: &[&str]| hs.iter().map(|s| fold(s)).collect::<Vec<_>>();
        let name = |hs: &[&str]| recognise(&h(hs)).map(|p| p.name);
        assert_eq!(
            name(&["Activity ID", "Assigned", "Subject", "Date", "Type", "Call Duration"]),
            Some("Salesforce activity report")
        );
        assert_eq!(
            name(&["Record ID", "Activity date", "Activity type", "Activity assigned to"]),
            Some("HubSpot activities")
        );
        assert_eq!(name(&["Activity - Type", "Activity - Due date"]), Some("Pipedrive activities"));
        let kept =
            ["id", "rep", "type", "kare", "occurred_at", "count", "duration_min", "outcome", "account", "deal", "note"];
        assert_eq!(name(&kept), Some("Kept export"));
        assert_eq!(name(&["Date", "Type"]), None);
        for p in PRESETS {
            for (f, _) in p.columns {
                assert!(FIELDS.contains(f), "{}: {f}", p.name);
            }
        }
    }
}
