//! Organisation-wide assessment maps. A leader publishes the criteria of an
//! interaction in the leadership team's document, with a version (1, 2, …).
//! A team's manager, whose device holds their coachee home in the leadership
//! team under `org/` (`kept org join`), adopts the published maps into their
//! own team document: a newer version replaces the team's copy (and a team map
//! of the same name: the organisation's wins), the team's other maps stay
//! beside them. Scores are stored under criterion keys, so a version that
//! drops or renames a criterion leaves every earlier score as it was.

use crate::clock::{Clock, IdSource};
use crate::docs::team::{self, Template};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::Role;
use crate::service::Kept;
use crate::sync::{JoinOptions, SyncReport};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// The folder of a manager's team home that holds their coachee home in the leadership team.
pub const ORG_DIR: &str = "org";

/// A published map, as adopted (or not) by a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrgMap {
    /// Interaction type key.
    pub interaction: String,
    /// Its criteria.
    pub criteria: Vec<String>,
    /// The version published.
    pub version: i64,
    /// True when this call wrote it into the team (new or newer).
    pub adopted: bool,
    /// Why it was not adopted, if it does not fit an assessment map (it came from another device).
    pub problem: Option<String>,
}

const CRITERIA: &str = "criteria";

impl Kept {
    /// The organisation's published maps in this (leadership team) home.
    pub fn org_maps(&self) -> Result<Vec<(Template, i64)>> {
        let Some(d) = self.store.load(&DocId::team())? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for key in self.interactions()? {
            if let Some(t) = team::template(&d, CRITERIA, &key)? {
                if let Some(v) = t.org_version {
                    out.push((t, v));
                }
            }
        }
        Ok(out)
    }

    /// Publishes the criteria of `interaction` to every team of the
    /// organisation (a leader, in the leadership team's home): the next version.
    pub fn publish_org_map(&mut self, interaction: &str, criteria: &[String]) -> Result<OrgMap> {
        if self.org_name()?.is_none() {
            return Err(CoreError::NotAllowed(
                "only a leader publishes the organisation's maps, from the leadership team's home \
                 (run `kept org sync` there first)"
                    .into(),
            ));
        }
        let previous = self.org_maps()?.into_iter().find(|(t, _)| t.key == interaction).map_or(0, |(_, v)| v);
        let items = self.set_criteria(interaction, Some(criteria))?;
        let t = Template {
            key: interaction.to_string(),
            title: None,
            items: items.clone(),
            questions: Vec::new(),
            org_version: Some(previous + 1),
        };
        let time = self.now_secs();
        self.store
            .write(|tx| tx.edit(&DocId::team(), time, |d| team::set_template(d, CRITERIA, interaction, Some(&t))))?;
        Ok(OrgMap {
            interaction: interaction.into(),
            criteria: items,
            version: previous + 1,
            adopted: false,
            problem: None,
        })
    }

    /// The coachee home in the leadership team this manager's device holds, if any.
    pub fn org_home(&self) -> Result<Option<Kept>> {
        let dir = self.home_dir().join(ORG_DIR);
        if !dir.join(crate::store::DB_FILE).is_file() {
            return Ok(None);
        }
        Kept::open(&dir, self.clock.clone(), self.ids.fork()).map(Some)
    }

    /// Joins the organisation's leadership team as this manager's coachee
    /// home (`org/` in this home), with an invite from the leader.
    pub fn org_join(&self, url: &str, invite: &str, device_name: &str) -> Result<SyncReport> {
        self.require_manager("join the organisation's leadership team from a team's home")?;
        let dir: PathBuf = self.home_dir().join(ORG_DIR);
        let opts = JoinOptions {
            url: url.to_string(),
            invite: invite.to_string(),
            name: Some(self.me().name.clone()),
            device_name: device_name.to_string(),
            allow_insecure: false,
        };
        let clock: Arc<dyn Clock> = self.clock.clone();
        let ids: IdSource = self.ids.fork();
        let (org, report) = Kept::join(&dir, &opts, clock, ids)?;
        if org.me().role != Role::Rep {
            return Err(CoreError::invalid(
                "that invite made you a manager of the leadership team; a team's manager joins it as a coachee (rep)",
            ));
        }
        Ok(report)
    }

    /// Syncs the coachee home in the leadership team and adopts the
    /// organisation's maps that are new or newer than this team's copies (managers).
    pub fn adopt_org_maps(&mut self) -> Result<Vec<OrgMap>> {
        self.require_manager("adopt the organisation's assessment maps")?;
        let Some(mut org) = self.org_home()? else {
            return Err(CoreError::invalid(
                "this home holds no leadership-team home: join it with `kept org join URL INVITE` (an invite from your leader)",
            ));
        };
        org.sync()?;
        let ours = self.store.load(&DocId::team())?;
        let mut out = Vec::new();
        for (t, version) in org.org_maps()? {
            let have = match &ours {
                Some(d) => team::template(d, CRITERIA, &t.key)?.and_then(|x| x.org_version),
                None => None,
            };
            let mut row = OrgMap {
                interaction: t.key.clone(),
                criteria: t.items.clone(),
                version,
                adopted: false,
                problem: None,
            };
            if have.is_none_or(|h| h < version) {
                // The same checks as a map typed here: it came from another device.
                match self.set_criteria(&t.key, Some(&t.items)) {
                    Ok(items) => {
                        let t = Template { items, org_version: Some(version), ..t };
                        let time = self.now_secs();
                        self.store.write(|tx| {
                            tx.edit(&DocId::team(), time, |d| team::set_template(d, CRITERIA, &t.key, Some(&t)))
                        })?;
                        row.adopted = true;
                    }
                    Err(e) => row.problem = Some(e.to_string()),
                }
            }
            out.push(row);
        }
        Ok(out)
    }
}
