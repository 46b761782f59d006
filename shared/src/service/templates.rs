//! The team's own agendas and assessment criteria. Every meeting type and
//! interaction type starts from the defaults in [`crate::agenda`]; a manager
//! can replace a template for the whole team (or add an interaction type of
//! their own) and reset it to the default. Meetings and assessments use the
//! team's version from then on; the ones already held keep theirs.

use super::Kept;
use crate::agenda::{default_agenda, default_criteria, Agenda, INTERACTIONS, MEETING_TYPES};
use crate::docs::team::{self, Template};
use crate::docs::DocId;
use crate::error::{CoreError, Result};
use crate::model::clean_text;

const AGENDAS: &str = "agendas";
const CRITERIA: &str = "criteria";

fn clean_list(what: &str, items: &[String], max_items: usize, max_len: usize) -> Result<Vec<String>> {
    let v: Vec<String> = items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).map(String::from).collect();
    if v.len() > max_items {
        return Err(CoreError::invalid(format!("too many {what}: at most {max_items}")));
    }
    for s in &v {
        clean_text(what, s, max_len)?;
    }
    Ok(v)
}

fn check_key(what: &str, key: &str) -> Result<()> {
    if key.is_empty()
        || key.len() > 40
        || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(CoreError::invalid(format!(
            "bad {what} '{key}': use 1 to 40 lowercase letters, digits or dashes, like discovery-call"
        )));
    }
    Ok(())
}

impl Kept {
    fn team_template(&self, coll: &str, key: &str) -> Result<Option<Template>> {
        match self.store.load(&DocId::team())? {
            Some(d) => team::template(&d, coll, key),
            None => Ok(None),
        }
    }

    /// The agenda of a meeting type: the team's version, else the default.
    pub fn agenda(&self, kind: &str) -> Result<Agenda> {
        let base = default_agenda(kind)?;
        Ok(match self.team_template(AGENDAS, kind)? {
            Some(t) => Agenda {
                kind: kind.to_string(),
                title: t.title.unwrap_or(base.title),
                items: t.items,
                questions: t.questions,
            },
            None => base,
        })
    }

    /// Replaces the team's agenda for a meeting type (managers); `None` resets it to the default.
    pub fn set_agenda(&mut self, kind: &str, items: Option<(&[String], &[String])>) -> Result<Agenda> {
        self.require_manager("change the team's agendas")?;
        let base = default_agenda(kind)?;
        let t = match items {
            Some((items, questions)) => {
                let items = clean_list("agenda items", items, 30, 300)?;
                if items.is_empty() {
                    return Err(CoreError::invalid("an agenda needs at least one item"));
                }
                let questions = clean_list("coaching questions", questions, 30, 300)?;
                Some(Template { key: kind.to_string(), title: Some(base.title), items, questions, org_version: None })
            }
            None => None,
        };
        self.write_template(AGENDAS, kind, t.as_ref())?;
        self.agenda(kind)
    }

    /// The criteria of an interaction type: the team's version, else the default.
    pub fn criteria(&self, interaction: &str) -> Result<Vec<String>> {
        if let Some(t) = self.team_template(CRITERIA, interaction)? {
            return Ok(t.items);
        }
        default_criteria(interaction).map_err(|_| {
            CoreError::invalid(format!(
                "unknown interaction type '{interaction}': expected one of {}",
                self.interactions().unwrap_or_default().join(", ")
            ))
        })
    }

    /// Every interaction type this team assesses: the defaults and its own.
    pub fn interactions(&self) -> Result<Vec<String>> {
        let mut v: Vec<String> = INTERACTIONS.iter().map(|s| s.to_string()).collect();
        if let Some(d) = self.store.load(&DocId::team())? {
            if let Ok(m) = crate::docs::map(&d, &automerge::ROOT, CRITERIA) {
                for k in crate::docs::record_ids(&d, &m) {
                    if !v.contains(&k) {
                        v.push(k);
                    }
                }
            }
        }
        Ok(v)
    }

    /// Sets the team's criteria for an interaction type, which may be a new
    /// one (managers); `None` resets a default type (or removes a team's own).
    /// Criteria are keys like `upfront-contract`.
    pub fn set_criteria(&mut self, interaction: &str, criteria: Option<&[String]>) -> Result<Vec<String>> {
        self.require_manager("change the team's assessment maps")?;
        check_key("interaction type", interaction)?;
        let t = match criteria {
            Some(c) => {
                let c = clean_list("criteria", c, 20, 40)?;
                if c.is_empty() {
                    return Err(CoreError::invalid("an assessment map needs at least one criterion"));
                }
                for k in &c {
                    check_key("criterion", k)?;
                }
                Some(Template {
                    key: interaction.to_string(),
                    title: None,
                    items: c,
                    questions: Vec::new(),
                    org_version: None,
                })
            }
            None => None,
        };
        self.write_template(CRITERIA, interaction, t.as_ref())?;
        if t.is_none() && default_criteria(interaction).is_err() {
            return Ok(Vec::new());
        }
        self.criteria(interaction)
    }

    fn write_template(&mut self, coll: &str, key: &str, t: Option<&Template>) -> Result<()> {
        let time = self.now_secs();
        self.store.write(|tx| {
            tx.ensure_root_map(&DocId::team(), coll)?;
            tx.edit(&DocId::team(), time, |d| team::set_template(d, coll, key, t))
        })
    }

    /// Every meeting type with the agenda the team uses.
    pub fn agendas(&self) -> Result<Vec<Agenda>> {
        MEETING_TYPES.iter().map(|k| self.agenda(k)).collect()
    }
}
