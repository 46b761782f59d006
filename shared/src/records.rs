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
            | RecordKind::MeetingRating => Shape::Collection,
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
        }
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
            | RecordKind::MeetingRating => &[],
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
            | RecordKind::MeetingRating => View::Document,
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
