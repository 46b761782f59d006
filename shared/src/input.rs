//! One input layer for every adapter (the CLI's flags, the app's forms): raw
//! fields as a person types them become checked core values. A blank text
//! clears a field, `kare` "" or "none" means none, an empty week or time
//! means "not given". The service then applies the domain's checks.

use crate::error::Result;
use crate::model::{ActivityInput, Kare};
use crate::week::Week;
use serde::Deserialize;

/// The optional details of an activity, as typed. For an edit, a blank text
/// clears the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ActivityDetails", optional_fields))]
#[serde(default)]
pub struct RawActivity {
    /// How many (default 1).
    pub count: Option<i64>,
    /// A KARE category, or "" / "none" for none.
    pub kare: Option<String>,
    /// Account or contact.
    pub account: Option<String>,
    /// What came of it.
    pub outcome: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// The deal it worked on (id).
    pub deal: Option<String>,
    /// Minutes spent.
    pub duration_min: Option<i64>,
    /// When (RFC 3339); empty: now.
    pub occurred_at: Option<String>,
}

impl RawActivity {
    /// The input the service checks, for an activity of type `kind` (None: unchanged, for edits).
    pub fn into_input(self, kind: Option<String>) -> Result<ActivityInput> {
        let text = |v: Option<String>| v.map(|s| if s.trim().is_empty() { None } else { Some(s) });
        let kare = match self.kare.as_deref().map(str::trim) {
            None => None,
            Some("") | Some("none") => Some(None),
            Some(k) => Some(Some(k.parse::<Kare>()?)),
        };
        Ok(ActivityInput {
            kind,
            kare,
            occurred_at: self.occurred_at.filter(|s| !s.trim().is_empty()),
            count: self.count,
            duration_min: self.duration_min.map(Some),
            outcome: text(self.outcome),
            account: text(self.account),
            deal: text(self.deal),
            note: text(self.note),
        })
    }
}

/// A team week as typed (`2026-W49`); empty or absent: not given.
pub fn week(raw: Option<&str>) -> Result<Option<Week>> {
    Ok(raw.map(str::trim).filter(|s| !s.is_empty()).map(str::parse).transpose()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_clear_and_kare_none_means_none() {
        let raw = RawActivity {
            kare: Some("none".into()),
            note: Some("  ".into()),
            account: Some("Globex".into()),
            occurred_at: Some(String::new()),
            duration_min: Some(15),
            ..Default::default()
        };
        let i = raw.into_input(Some("call".into())).expect("input");
        assert_eq!(i.kind.as_deref(), Some("call"));
        assert_eq!(i.kare, Some(None));
        assert_eq!(i.note, Some(None), "a blank note clears it");
        assert_eq!(i.account, Some(Some("Globex".into())));
        assert_eq!(i.occurred_at, None, "an empty time is not given");
        assert_eq!(i.duration_min, Some(Some(15)));
        assert_eq!(i.deal, None, "not typed: unchanged");
        let bad = RawActivity { kare: Some("maybe".into()), ..Default::default() }.into_input(None);
        assert!(bad.expect_err("bad kare").to_string().contains("maybe"));
    }

    #[test]
    fn weeks_parse_and_blank_is_none() {
        assert_eq!(week(Some(" ")).expect("blank"), None);
        assert_eq!(week(None).expect("none"), None);
        assert_eq!(week(Some("2026-W49")).expect("week").map(|w| w.to_string()).as_deref(), Some("2026-W49"));
        assert!(week(Some("next week")).is_err());
    }
}
