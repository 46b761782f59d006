//! `Kept`: the API every client (the CLI, the app) calls. One method per user
//! action; each write is one store transaction. Identity, permissions
//! (a rep acts on their own records only) and input checks live here.

mod actions;
mod activities;
mod assess;
mod benchmarks;
mod cadence;
mod calibrate;
mod challenges;
mod commitments;
mod develop;
mod meetings;
pub(crate) mod merge;
mod news;
mod pipeline;
mod plan;
mod prep;
mod reminders;
mod templates;

pub use actions::ActionFilter;
pub use assess::CriterionView;
pub use benchmarks::{BenchRow, Benchmarks};
pub use cadence::{Cadence, CoachingHabit, RatingComment};
pub use calibrate::{CalibrationPoint, CalibrationView, CriterionSpread, Leaning, NamedScore};
pub use challenges::{mime_of, ChallengeState, ChallengeView, CommentView, NewChallenge};
pub use commitments::CommitmentStatus;
pub use develop::{DevPlan, SkillView, SuggestedSkill};
pub use meetings::OpenedMeeting;
pub use merge::{may_read, MergeReport};
pub use news::{NewsItem, NewsKind};
pub use pipeline::{DealEdit, KareSplit, STAGES};
pub use prep::{BenchmarkLine, LatestAssessment, Prep};
pub use reminders::Reminder;

use crate::clock::{Clock, IdSource};
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::model::{clean_text, Member, Role, TeamSettings};
use crate::store::Store;
use crate::week::Week;
use automerge::ActorId;
use std::path::Path;
use std::sync::Arc;

/// What `init` needs to create a home.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Team name.
    pub team: String,
    /// My name.
    pub me: String,
    /// My role.
    pub role: Role,
    /// Team time zone (IANA), default UTC.
    pub time_zone: Option<String>,
    /// Team week start, default Monday.
    pub week_start: Option<chrono::Weekday>,
}

/// Identity of an existing team member, used to create a device of theirs.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Team id.
    pub team_id: String,
    /// Member id.
    pub member_id: String,
    /// Member name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// An open Kept home.
pub struct Kept {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: IdSource,
    me: Member,
    team_id: String,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept").field("me", &self.me).field("store", &self.store).finish()
    }
}

/// The team's settings as read, or the defaults of a new team's document
/// while the team document has not arrived.
pub(crate) fn team_or_genesis(read: Option<TeamSettings>) -> Result<TeamSettings> {
    match read {
        Some(t) => Ok(t),
        None => docs::team::read(&docs::genesis(&DocId::team())?),
    }
}

impl Kept {
    /// Creates a new home with a new team (offline, no relay needed).
    pub fn init(home: &Path, opts: InitOptions, clock: Arc<dyn Clock>, ids: IdSource) -> Result<Kept> {
        let team = clean_text("team name", &opts.team, 80)?;
        let me = clean_text("your name", &opts.me, 80)?;
        if let Some(tz) = &opts.time_zone {
            tz.parse::<chrono_tz::Tz>().map_err(|_| {
                CoreError::invalid(format!("unknown time zone '{tz}': expected an IANA name like Europe/Berlin"))
            })?;
        }
        let now = clock.now();
        let identity = Identity {
            team_id: ids.uuid_at(now).to_string(),
            member_id: ids.uuid_at(now).to_string(),
            name: me,
            role: opts.role,
        };
        let mut kept = Kept::create_device(home, &identity, clock, ids)?;
        let time = kept.now_secs();
        kept.store.write(|tx| {
            tx.edit(&DocId::team(), time, |doc| {
                docs::team::set_settings(doc, Some(&team), opts.time_zone.as_deref(), opts.week_start, None)
            })
        })?;
        Ok(kept)
    }

    /// Creates an empty home for an existing member (a second device, or a
    /// device that joined through a relay). It gets its own actor id.
    pub fn create_device(home: &Path, id: &Identity, clock: Arc<dyn Clock>, ids: IdSource) -> Result<Kept> {
        let mut actor = [0u8; 16];
        ids.fill(&mut actor);
        let store = Store::create(
            home,
            ActorId::from(actor),
            &[
                ("team_id", &id.team_id),
                ("member_id", &id.member_id),
                ("member_name", &id.name),
                ("role", id.role.as_str()),
            ],
        )?;
        store.add_member(&Member { id: id.member_id.clone(), name: id.name.clone(), role: id.role })?;
        Kept::from_store(store, clock, ids)
    }

    /// Opens an existing home.
    pub fn open(home: &Path, clock: Arc<dyn Clock>, ids: IdSource) -> Result<Kept> {
        Kept::from_store(Store::open(home)?, clock, ids)
    }

    fn from_store(store: Store, clock: Arc<dyn Clock>, ids: IdSource) -> Result<Kept> {
        let get = |k: &str| -> Result<String> {
            store.meta(k)?.ok_or_else(|| CoreError::NotAStore(format!("{}: missing '{k}'", store.path().display())))
        };
        let me = Member { id: get("member_id")?, name: get("member_name")?, role: get("role")?.parse()? };
        let team_id = get("team_id")?;
        let mut store = store;
        if me.role == Role::Leader {
            store.set_read_only(format!(
                "{} reads this team as a leader and changes nothing in it; its manager makes the changes",
                me.name
            ));
        }
        Ok(Kept { store, clock, ids, me, team_id })
    }

    /// Who I am on this device.
    pub fn me(&self) -> &Member {
        &self.me
    }

    /// The team id.
    pub fn team_id(&self) -> &str {
        &self.team_id
    }

    /// The store (read queries, sync).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, mutably (sync, maintenance).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn now_secs(&self) -> i64 {
        self.clock.now().timestamp()
    }

    /// The team's settings (defaults until the team document arrives).
    pub fn team(&self) -> Result<TeamSettings> {
        team_or_genesis(self.store.team_settings()?)
    }

    /// The current week in the team's calendar.
    pub fn current_week(&self) -> Result<Week> {
        let t = self.team()?;
        Ok(Week::of_instant(self.clock.now(), t.tz(), t.week_start))
    }

    /// Members this device knows, by name.
    pub fn members(&self) -> Result<Vec<Member>> {
        self.store.members()
    }

    /// Records members learnt from a relay (replaces the known roster).
    pub fn set_members(&mut self, members: &[Member]) -> Result<()> {
        self.store.write(|tx| tx.set_roster(members))
    }

    /// The rep a command is about: me, or (for managers) the named rep.
    pub fn resolve_rep(&self, name: Option<&str>) -> Result<Member> {
        let Some(name) = name else {
            return Ok(self.me.clone());
        };
        if name == self.me.name || name == self.me.id {
            return Ok(self.me.clone());
        }
        if !self.me.role.reads_team() {
            return Err(CoreError::NotAllowed(format!(
                "only a manager can act for another rep; you are {} (a rep)",
                self.me.name
            )));
        }
        self.member_named(name)
    }

    /// A known member by name (or id), with the list of names in the error.
    pub fn member_named(&self, name: &str) -> Result<Member> {
        let members = self.members()?;
        members.iter().find(|m| m.name == name || m.id == name).cloned().ok_or_else(|| {
            let hint = match self.store.meta("relay_url") {
                Ok(Some(_)) => " (run `kept sync` to refresh the team's roster)",
                _ => "",
            };
            CoreError::NotFound(format!(
                "no member named '{name}': known members are {}{hint}",
                members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })
    }

    /// The reps visible here (managers: the team; reps: themselves).
    pub fn reps(&self) -> Result<Vec<Member>> {
        if !self.me.role.reads_team() {
            return Ok(vec![self.me.clone()]);
        }
        Ok(self.members()?.into_iter().filter(|m| m.role == Role::Rep).collect())
    }

    /// Only those who read the whole team (managers, leaders) may see this.
    pub(crate) fn require_team_reader(&self, what: &str) -> Result<()> {
        if !self.me.role.reads_team() {
            return Err(CoreError::NotAllowed(format!("only a manager can {what}")));
        }
        Ok(())
    }

    /// Only managers may do this.
    pub(crate) fn require_manager(&self, what: &str) -> Result<()> {
        if self.me.role != Role::Manager {
            return Err(CoreError::NotAllowed(format!("only a manager can {what}")));
        }
        Ok(())
    }
}

impl Kept {
    /// Changes team settings (managers); each `None` leaves a setting as it is.
    pub fn set_team_settings(
        &mut self,
        name: Option<&str>,
        time_zone: Option<&str>,
        week_start: Option<chrono::Weekday>,
        working_days: Option<&[chrono::Weekday]>,
    ) -> Result<TeamSettings> {
        self.require_manager("change team settings")?;
        let name = name.map(|n| clean_text("team name", n, 80)).transpose()?;
        let time = self.now_secs();
        self.store.write(|tx| {
            tx.edit(&DocId::team(), time, |doc| {
                docs::team::set_settings(doc, name.as_deref(), time_zone, week_start, working_days)
            })
        })?;
        self.team()
    }

    /// Sets how the team writes numbers, dates and times, and its currency
    /// (managers); each `None` leaves it, an empty string resets it.
    pub fn set_team_format(&mut self, locale: Option<&str>, currency: Option<&str>) -> Result<TeamSettings> {
        self.require_manager("change the team's locale and currency")?;
        let currency = currency.map(|c| c.trim().to_ascii_uppercase());
        let time = self.now_secs();
        self.store.write(|tx| {
            tx.edit(&DocId::team(), time, |doc| docs::team::set_format(doc, locale, currency.as_deref()))
        })?;
        self.team()
    }

    /// Adds an activity type to the team's catalog or changes one (managers).
    pub fn upsert_activity_type(&mut self, t: &crate::model::ActivityType) -> Result<TeamSettings> {
        self.require_manager("change the activity catalog")?;
        let key = t.key.trim();
        if key.is_empty()
            || key.len() > 40
            || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(CoreError::invalid(format!(
                "bad activity type key '{}': use 1 to 40 lowercase letters, digits or dashes, like meeting-set",
                t.key
            )));
        }
        let t =
            crate::model::ActivityType { key: key.to_string(), label: clean_text("label", &t.label, 60)?, ..t.clone() };
        let time = self.now_secs();
        self.store.write(|tx| tx.edit(&DocId::team(), time, |doc| docs::team::upsert_type(doc, &t)))?;
        self.team()
    }
}
