//! The registry of record kinds: one definition per kind of record Kept
//! keeps — where it lives (document kind and root map), its shape, which of
//! its fields name a member, how it is exported, which view rows it feeds and
//! how it travels when a home used on one device only joins a team.
//!
//! Carry-over (`sync::adopt`), export (`export`), `kept doctor`'s record
//! checks (`Store::left_out`) and the view rebuild iterate over
//! [`RecordKind::ALL`] and decide per kind with exhaustive `match`es, so a new
//! variant is a compile error in every place that must handle it (see
//! ARCHITECTURE.md, "Adding a record kind").

use crate::docs::DocKind;
use automerge::{ObjType, ReadDoc, Value, ROOT};

macro_rules! record_kinds {
    ($( $(#[$m:meta])* $var:ident = $name:literal in $doc:ident . $map:literal, )+) => {
        /// A kind of record (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum RecordKind {
            $( $(#[$m])* $var, )+
        }

        impl RecordKind {
            /// Every kind, in the order carry-over and export visit them.
            pub const ALL: &'static [RecordKind] = &[$(RecordKind::$var),+];

            /// Its name (plural, snake case), as reports and `kept doctor` say it.
            pub fn name(self) -> &'static str {
                match self { $(RecordKind::$var => $name,)+ }
            }

            /// The kind of document it lives in.
            pub fn doc_kind(self) -> DocKind {
                match self { $(RecordKind::$var => DocKind::$doc,)+ }
            }

            /// The root map that holds it (docs/FORMAT.md §7).
            pub fn root_map(self) -> &'static str {
                match self { $(RecordKind::$var => $map,)+ }
            }
        }
    };
}

record_kinds! {
    /// The team's settings (time zone, week start, working days, thresholds).
    Settings = "settings" in Team."settings",
    /// The activity-type catalog.
    ActivityType = "activity_types" in Team."activity_types",
    /// Meeting agendas the team edited.
    Agenda = "agendas" in Team."agendas",
    /// Assessment criteria the team edited.
    Criteria = "criteria" in Team."criteria",
    /// Kudos between members.
    Kudos = "kudos" in Team."kudos",
    /// Logged activities (one week's log document each).
    Activity = "activities" in Log."activities",
    /// Weekly targets, standing and one-week.
    Target = "targets" in Plan."targets",
    /// Weekly commitments.
    Commitment = "commitments" in Plan."commitments",
    /// The agreed sales goal and funnel ratios.
    Goal = "goal" in Plan."goal",
    /// Deals in the pipeline.
    Deal = "deals" in Pipeline."deals",
    /// Action items (and development milestones).
    ActionItem = "action_items" in Coaching."action_items",
    /// Coaching meetings with their notes and the rep's rating.
    Meeting = "meetings" in Coaching."meetings",
    /// The rep's self-assessments.
    SelfAssessment = "self_assessments" in Coaching."assessments",
    /// Development-plan skills and goals.
    DevEntry = "development" in Coaching."development",
    /// Managers' assessments of the rep.
    ManagerAssessment = "manager_assessments" in Review."assessments",
    /// Managers' ratings of meetings.
    MeetingRating = "meeting_ratings" in Review."ratings",
    /// Calibration sessions: one interaction several managers score blind.
    Calibration = "calibrations" in Team."calibrations",
    /// One scorer's scores of a calibration session (in their own coaching document).
    CalibrationScore = "calibration_scores" in Coaching."calibration_scores",
    /// Practice challenges set for the rep, with the rep's recorded answer.
    Challenge = "challenges" in Coaching."challenges",
    /// Managers' comments on a challenge's answer, anchored to moments of the recording.
    ChallengeComment = "challenge_comments" in Review."challenge_comments",
    /// A manager's note acknowledging a warning sign for a week (the rep's coaching record).
    SignNote = "sign_notes" in Review."sign_notes",
}

/// How a kind's records sit in their root map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A collection: each key of the root map is one record (a map).
    Collection,
    /// The root map itself is the one record (its keys are fields).
    Single,
}

/// Where a kind's rows go in `kept export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// A table of its own, by this name (`kept export --what NAME`).
    Table(&'static str),
    /// Columns of another kind's table.
    Within(RecordKind),
    /// Not exported as rows (team configuration; why).
    Configuration,
}

/// Which local view rows a kind feeds (rebuilt from the documents at any time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Rows of this table.
    Table(&'static str),
    /// Read from the documents directly when asked (no view rows).
    Document,
}

/// A field's value type and allowed values (docs/FORMAT.md §7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ty {
    /// A string (scalar or collaborative Text).
    Str,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An integer within these bounds (inclusive).
    Int(i64, i64),
    /// A number (float or integer).
    Num,
    /// A boolean.
    Bool,
    /// A map.
    Map,
}

/// One field of a record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// Its key.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Must every record have it?
    pub required: bool,
}

/// A `&'static [Field]` from field constructors (const, so it lives for ever).
macro_rules! fields {
    ($($f:expr),* $(,)?) => {{
        const F: &[Field] = &[$($f),*];
        F
    }};
}

const fn req(name: &'static str, ty: Ty) -> Field {
    Field { name, ty, required: true }
}

const fn opt(name: &'static str, ty: Ty) -> Field {
    Field { name, ty, required: false }
}

const KARE: Ty = Ty::OneOf(&["keep", "attain", "recapture", "expand"]);
const DAYS: Ty = Ty::OneOf(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
const RATING: Ty = Ty::Int(1, 5);
/// Longest recording a challenge's answer may be (10 hours, in milliseconds).
pub const MAX_RECORDING_MS: i64 = 36_000_000;

const ASSESSMENT: &[Field] = &[
    req("interaction", Ty::Str),
    opt("challenge", Ty::Str),
    opt("self", Ty::Bool),
    req("by", Ty::Str),
    req("at", Ty::Str),
    req("scores", Ty::Map),
];

impl RecordKind {
    /// How its records sit in the root map.
    pub fn shape(self) -> Shape {
        match self {
            RecordKind::Settings | RecordKind::Goal => Shape::Single,
            RecordKind::ActivityType
            | RecordKind::Agenda
            | RecordKind::Criteria
            | RecordKind::Kudos
            | RecordKind::Activity
            | RecordKind::Target
            | RecordKind::Commitment
            | RecordKind::Deal
            | RecordKind::ActionItem
            | RecordKind::Meeting
            | RecordKind::SelfAssessment
            | RecordKind::DevEntry
            | RecordKind::ManagerAssessment
            | RecordKind::MeetingRating
            | RecordKind::Calibration
            | RecordKind::CalibrationScore
            | RecordKind::Challenge
            | RecordKind::ChallengeComment
            | RecordKind::SignNote => Shape::Collection,
        }
    }

    /// The fields (top-level keys of a record) whose value is a member id:
    /// they are rewritten when records move to a new identity.
    pub fn member_fields(self) -> &'static [&'static str] {
        match self {
            RecordKind::Settings
            | RecordKind::ActivityType
            | RecordKind::Agenda
            | RecordKind::Criteria
            | RecordKind::Commitment
            | RecordKind::Deal => &[],
            RecordKind::Kudos => &["from", "to"],
            RecordKind::Activity => &["logged_by"],
            RecordKind::Target => &["set_by"],
            RecordKind::Goal => &["agreed_by"],
            RecordKind::ActionItem => &["owner", "created_by"],
            RecordKind::Meeting => &["created_by"],
            RecordKind::SelfAssessment | RecordKind::DevEntry | RecordKind::ManagerAssessment => &["by"],
            RecordKind::MeetingRating => &["by"],
            // The revealed `scores` are keyed by member id (map keys, not
            // fields): sessions live in relay teams, never carried over.
            RecordKind::Calibration | RecordKind::CalibrationScore => &["by"],
            RecordKind::Challenge | RecordKind::ChallengeComment | RecordKind::SignNote => &["by"],
        }
    }

    /// Its fields with their types (docs/FORMAT.md §7): what `kept doctor`
    /// and the views hold a record from another device to. Unknown fields
    /// are allowed (a newer version may add some).
    pub fn fields(self) -> &'static [Field] {
        match self {
            RecordKind::Settings => fields![
                opt("name", Ty::Str),
                opt("time_zone", Ty::Str),
                opt("week_start", DAYS),
                opt("working_days", Ty::Str),
                opt("import_map", Ty::Str),
                opt("locale", Ty::Str),
                opt("currency", Ty::Str),
            ],
            RecordKind::ActivityType => fields![
                req("label", Ty::Str),
                opt("kare", KARE),
                opt("leading", Ty::Bool),
                opt("position", Ty::Int(i64::MIN, i64::MAX)),
                opt("retired", Ty::Bool),
            ],
            RecordKind::Agenda => fields![opt("title", Ty::Str), req("items", Ty::Str), opt("questions", Ty::Str)],
            RecordKind::Criteria => {
                fields![req("items", Ty::Str), opt("questions", Ty::Str), opt("org_version", Ty::Int(1, i64::MAX))]
            }
            RecordKind::Kudos => fields![
                req("from", Ty::Str),
                req("to", Ty::Str),
                req("text", Ty::Str),
                req("at", Ty::Str),
                opt("about", Ty::Str),
                opt("about_label", Ty::Str),
            ],
            RecordKind::Activity => fields![
                req("type", Ty::Str),
                req("occurred_at", Ty::Str),
                opt("count", Ty::Int(1, crate::model::MAX_COUNT)),
                opt("logged_by", Ty::Str),
                opt("kare", Ty::Str),
                opt("duration_min", Ty::Int(0, crate::model::MAX_DURATION_MIN)),
                opt("outcome", Ty::Str),
                opt("account", Ty::Str),
                opt("deal", Ty::Str),
                opt("note", Ty::Str),
                opt("deleted", Ty::Bool),
                opt("import_key", Ty::Str),
            ],
            RecordKind::Target => {
                fields![req("count", Ty::Int(0, 10_000)), opt("set_by", Ty::Str), opt("set_at", Ty::Str)]
            }
            RecordKind::Commitment => fields![
                req("week", Ty::Str),
                req("kind", Ty::OneOf(&["activity", "outcome"])),
                opt("activity", Ty::Str),
                req("count", Ty::Int(0, 10_000)),
                req("text", Ty::Str),
                opt("deleted", Ty::Bool),
            ],
            RecordKind::Goal => fields![
                req("income", Ty::Num),
                req("commission", Ty::Num),
                req("deal_size", Ty::Num),
                req("working_weeks", Ty::Num),
                opt("agreed_by", Ty::Str),
                opt("agreed_at", Ty::Str),
            ],
            RecordKind::Deal => fields![
                req("name", Ty::Str),
                req("amount", Ty::Int(0, 1_000_000_000_000)),
                req("stage", Ty::Str),
                req("status", Ty::OneOf(&["open", "won", "lost"])),
                opt("kare", KARE),
                opt("expected_close", Ty::Str),
                opt("closed_at", Ty::Str),
                opt("created_at", Ty::Str),
            ],
            RecordKind::ActionItem => fields![
                req("owner", Ty::Str),
                req("text", Ty::Str),
                req("due", Ty::Str),
                req("status", Ty::OneOf(&["open", "done", "dropped"])),
                opt("result", Ty::Str),
                opt("source", Ty::Str),
                opt("created_at", Ty::Str),
                opt("created_by", Ty::Str),
            ],
            RecordKind::Meeting => fields![
                req("type", Ty::Str),
                req("date", Ty::Str),
                opt("agenda", Ty::Str),
                opt("notes", Ty::Str),
                opt("notes_by", Ty::Map),
                opt("created_by", Ty::Str),
                opt("rep_rating", RATING),
                opt("rep_comment", Ty::Str),
                opt("manager_rating", RATING),
            ],
            RecordKind::SelfAssessment | RecordKind::ManagerAssessment => ASSESSMENT,
            RecordKind::DevEntry => fields![
                req("type", Ty::OneOf(&["skill", "goal"])),
                opt("interaction", Ty::Str),
                req("text", Ty::Str),
                opt("by", Ty::Str),
                opt("at", Ty::Str),
                opt("done", Ty::Bool),
            ],
            RecordKind::MeetingRating => fields![req("rating", RATING), opt("by", Ty::Str), opt("at", Ty::Str)],
            RecordKind::Calibration => fields![
                req("title", Ty::Str),
                req("interaction", Ty::Str),
                opt("material", Ty::Str),
                req("criteria", Ty::Str),
                req("by", Ty::Str),
                req("at", Ty::Str),
                opt("revealed", Ty::Bool),
                opt("scores", Ty::Map),
                opt("agreed", Ty::Map),
            ],
            RecordKind::CalibrationScore => fields![req("by", Ty::Str), req("at", Ty::Str), req("scores", Ty::Map)],
            RecordKind::Challenge => fields![
                req("prompt", Ty::Str),
                req("interaction", Ty::Str),
                req("due", Ty::Str),
                req("by", Ty::Str),
                req("at", Ty::Str),
                opt("group", Ty::Str),
                opt("withdrawn", Ty::Bool),
                opt("answer_hash", Ty::Str),
                opt("answer_size", Ty::Int(1, kept_protocol::blob::MAX_BLOB_BYTES as i64)),
                opt("answer_mime", Ty::Str),
                opt("answer_ms", Ty::Int(0, MAX_RECORDING_MS)),
                opt("answered_at", Ty::Str),
            ],
            RecordKind::ChallengeComment => fields![
                req("challenge", Ty::Str),
                req("at_ms", Ty::Int(0, MAX_RECORDING_MS)),
                req("text", Ty::Str),
                req("by", Ty::Str),
                req("at", Ty::Str),
            ],
            RecordKind::SignNote => fields![
                req("kind", Ty::Str),
                req("week", Ty::Str),
                req("note", Ty::Str),
                opt("message", Ty::Str),
                req("by", Ty::Str),
                req("at", Ty::Str),
            ],
        }
    }

    /// Why record `obj` (a map) of this kind cannot be shown, if it cannot:
    /// a field of the wrong type or out of range, or a required one missing.
    pub fn problem(self, doc: &impl ReadDoc, obj: &automerge::ObjId) -> Option<String> {
        for f in self.fields() {
            let got = doc.get(obj, f.name).ok().flatten();
            let Some((value, _)) = got else {
                if f.required {
                    return Some(format!("it has no '{}'", f.name));
                }
                continue;
            };
            if let Some(why) = mismatch(doc, obj, f, &value) {
                return Some(format!("its '{}' {why}", f.name));
            }
        }
        None
    }

    /// Fields that belong to the home rather than the record: never carried
    /// to another team (the team's name is the joined team's).
    pub fn home_fields(self) -> &'static [&'static str] {
        match self {
            RecordKind::Settings => &["name"],
            RecordKind::ActivityType
            | RecordKind::Agenda
            | RecordKind::Criteria
            | RecordKind::Kudos
            | RecordKind::Activity
            | RecordKind::Target
            | RecordKind::Commitment
            | RecordKind::Goal
            | RecordKind::Deal
            | RecordKind::ActionItem
            | RecordKind::Meeting
            | RecordKind::SelfAssessment
            | RecordKind::DevEntry
            | RecordKind::ManagerAssessment
            | RecordKind::MeetingRating
            | RecordKind::Calibration
            | RecordKind::CalibrationScore
            | RecordKind::Challenge
            | RecordKind::ChallengeComment
            | RecordKind::SignNote => &[],
        }
    }

    /// Where its rows go in `kept export`.
    pub fn export(self) -> Export {
        match self {
            RecordKind::Settings | RecordKind::ActivityType | RecordKind::Agenda | RecordKind::Criteria => {
                Export::Configuration
            }
            RecordKind::Kudos => Export::Table("kudos"),
            RecordKind::Activity => Export::Table("activities"),
            RecordKind::Target => Export::Table("targets"),
            RecordKind::Commitment => Export::Table("commitments"),
            RecordKind::Goal => Export::Table("goals"),
            RecordKind::Deal => Export::Table("deals"),
            RecordKind::ActionItem => Export::Table("actions"),
            RecordKind::Meeting => Export::Table("meetings"),
            RecordKind::MeetingRating => Export::Within(RecordKind::Meeting),
            RecordKind::SelfAssessment => Export::Table("assessments"),
            RecordKind::ManagerAssessment => Export::Within(RecordKind::SelfAssessment),
            RecordKind::DevEntry => Export::Table("development"),
            RecordKind::Calibration => Export::Table("calibrations"),
            RecordKind::CalibrationScore => Export::Within(RecordKind::Calibration),
            RecordKind::Challenge => Export::Table("challenges"),
            RecordKind::ChallengeComment => Export::Within(RecordKind::Challenge),
            RecordKind::SignNote => Export::Table("sign_notes"),
        }
    }

    /// The local view it feeds.
    pub fn view(self) -> View {
        match self {
            RecordKind::Settings | RecordKind::ActivityType | RecordKind::Agenda | RecordKind::Criteria => {
                View::Table("team_settings")
            }
            RecordKind::Activity => View::Table("activities"),
            RecordKind::Target => View::Table("targets"),
            RecordKind::Commitment => View::Table("commitments"),
            RecordKind::Deal => View::Table("deals"),
            RecordKind::ActionItem => View::Table("action_items"),
            RecordKind::Kudos
            | RecordKind::Goal
            | RecordKind::Meeting
            | RecordKind::SelfAssessment
            | RecordKind::DevEntry
            | RecordKind::ManagerAssessment
            | RecordKind::MeetingRating
            | RecordKind::Calibration
            | RecordKind::CalibrationScore
            | RecordKind::Challenge
            | RecordKind::ChallengeComment
            | RecordKind::SignNote => View::Document,
        }
    }

    /// The kinds living in documents of kind `doc`.
    pub fn in_doc(doc: DocKind) -> impl Iterator<Item = RecordKind> {
        RecordKind::ALL.iter().copied().filter(move |k| k.doc_kind() == doc)
    }

    /// The export table names, in order (`kept export --what`).
    pub fn export_tables() -> impl Iterator<Item = (&'static str, RecordKind)> {
        RecordKind::ALL.iter().filter_map(|k| match k.export() {
            Export::Table(name) => Some((name, *k)),
            Export::Within(_) | Export::Configuration => None,
        })
    }

    /// The record ids of this kind in `doc` (a `Single` kind has one record,
    /// named after its root map, when the map has any field). Values that are
    /// not maps are not records and are skipped.
    pub fn record_ids(self, doc: &impl ReadDoc) -> Vec<String> {
        let Ok(Some((Value::Object(ObjType::Map), coll))) = doc.get(&ROOT, self.root_map()) else {
            return Vec::new();
        };
        match self.shape() {
            Shape::Single => {
                if doc.length(&coll) > 0 {
                    vec![self.root_map().to_string()]
                } else {
                    Vec::new()
                }
            }
            Shape::Collection => doc
                .keys(&coll)
                .filter(|k| matches!(doc.get(&coll, k.as_str()), Ok(Some((Value::Object(ObjType::Map), _)))))
                .collect(),
        }
    }
}

/// Why `value` does not fit field `f`, if it does not.
fn mismatch(doc: &impl ReadDoc, obj: &automerge::ObjId, f: &Field, value: &Value<'_>) -> Option<String> {
    use automerge::ScalarValue as S;
    let text = match value {
        Value::Scalar(s) => match s.as_ref() {
            S::Str(t) => Some(t.to_string()),
            _ => None,
        },
        Value::Object(ObjType::Text) => crate::docs::get_str(doc, obj, f.name),
        Value::Object(_) => None,
    };
    let int = match value {
        Value::Scalar(s) => match s.as_ref() {
            S::Int(i) => Some(*i),
            S::Uint(u) => i64::try_from(*u).ok(),
            S::Counter(c) => Some(i64::from(c)),
            _ => None,
        },
        Value::Object(_) => None,
    };
    let what = || match value {
        Value::Scalar(s) => match s.as_ref() {
            S::Str(_) => "a string",
            S::Int(_) | S::Uint(_) | S::Counter(_) => "an integer",
            S::F64(_) => "a float",
            S::Boolean(_) => "a boolean",
            S::Null => "null",
            _ => "a value of another kind",
        },
        Value::Object(ObjType::Map | ObjType::Table) => "a map",
        Value::Object(ObjType::List) => "a list",
        Value::Object(ObjType::Text) => "text",
    };
    match f.ty {
        Ty::Str => text.is_none().then(|| format!("is {}, not a string", what())),
        Ty::OneOf(allowed) => match text {
            None => Some(format!("is {}, not a string", what())),
            Some(t) if !allowed.contains(&t.as_str()) => Some(format!("is '{t}', not one of {}", allowed.join(", "))),
            Some(_) => None,
        },
        Ty::Int(lo, hi) => match int {
            None => Some(format!("is {}, not an integer", what())),
            Some(i) if i < lo || i > hi => Some(format!("{i} is outside {lo}–{hi}")),
            Some(_) => None,
        },
        Ty::Num => {
            let num = matches!(value, Value::Scalar(s) if matches!(s.as_ref(), S::F64(_))) || int.is_some();
            (!num).then(|| format!("is {}, not a number", what()))
        }
        Ty::Bool => (!matches!(value, Value::Scalar(s) if matches!(s.as_ref(), S::Boolean(_))))
            .then(|| format!("is {}, not a boolean", what())),
        Ty::Map => (!matches!(value, Value::Object(ObjType::Map | ObjType::Table)))
            .then(|| format!("is {}, not a map", what())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kept_protocol::genesis::{later_root_maps, root_maps};

    #[test]
    fn every_kind_lives_in_a_root_map_of_its_document() {
        for k in RecordKind::ALL {
            let doc = k.doc_kind();
            let maps: Vec<&str> = root_maps(doc).iter().chain(later_root_maps(doc)).copied().collect();
            assert!(maps.contains(&k.root_map()), "{k:?}: no root map '{}' in a {doc:?} document", k.root_map());
        }
    }

    #[test]
    fn every_collection_root_map_has_a_kind() {
        // The team's settings map is a record; every other root map of every
        // document kind is some kind's home: a map added later without a
        // kind here fails this test.
        for doc in [DocKind::Team, DocKind::Log, DocKind::Plan, DocKind::Pipeline, DocKind::Coaching, DocKind::Review] {
            for map in root_maps(doc).iter().chain(later_root_maps(doc)) {
                assert!(
                    RecordKind::in_doc(doc).any(|k| k.root_map() == *map),
                    "root map '{map}' of {doc:?} documents has no record kind in the registry"
                );
            }
        }
    }

    #[test]
    fn names_and_export_tables_are_unique_and_within_points_to_a_table() {
        let mut names: Vec<&str> = RecordKind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RecordKind::ALL.len());
        let tables: Vec<&str> = RecordKind::export_tables().map(|(n, _)| n).collect();
        let mut unique = tables.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), tables.len());
        for k in RecordKind::ALL {
            if let Export::Within(host) = k.export() {
                assert!(
                    matches!(host.export(), Export::Table(_)),
                    "{k:?} is exported within {host:?}, which has no table"
                );
            }
        }
    }

    #[test]
    fn view_tables_are_the_schema_views() {
        for k in RecordKind::ALL {
            if let View::Table(t) = k.view() {
                assert!(crate::store::schema::VIEW_TABLES.contains(&t), "{k:?} feeds '{t}', not a view table");
            }
        }
    }
}
