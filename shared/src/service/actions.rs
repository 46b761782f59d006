//! Action items: add, complete with a result, drop, change, list.

use super::Kept;
use crate::docs::{self, DocId};
use crate::error::{CoreError, Result};
use crate::model::{clean_text, parse_date, ActionItem, ActionStatus, Role};
use crate::store::ItemQuery;

/// Which action items to list.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    /// Only this status.
    pub status: Option<ActionStatus>,
    /// Only this rep's (managers), by name.
    pub rep: Option<String>,
}

impl Kept {
    /// Adds an action item owned by `owner` (default me), kept in the coaching
    /// document of `rep` (default: the owner if a rep, else me).
    pub fn add_action(&mut self, text: &str, due: &str, owner: Option<&str>, rep: Option<&str>) -> Result<ActionItem> {
        self.add_action_from(text, due, owner, rep, "manual")
    }

    /// Like [`Kept::add_action`], recording where the item came from (a
    /// meeting id, `development` for a development-plan milestone).
    pub(crate) fn add_action_from(
        &mut self,
        text: &str,
        due: &str,
        owner: Option<&str>,
        rep: Option<&str>,
        source: &str,
    ) -> Result<ActionItem> {
        let text = clean_text("action item text", text, 500)?;
        let due = parse_date("due date", due)?.format("%Y-%m-%d").to_string();
        let owner = match owner {
            Some(o) => self.member_named(o)?,
            None => self.me().clone(),
        };
        if self.me().role != Role::Manager && owner.id != self.me().id {
            return Err(CoreError::NotAllowed("a rep can only add action items they own".into()));
        }
        let subject = match rep {
            Some(r) => self.resolve_rep(Some(r))?,
            None if owner.role == Role::Rep => owner.clone(),
            None => self.me().clone(),
        };
        let now = self.clock.now();
        let item = ActionItem {
            id: self.ids.uuid_at(now).to_string(),
            rep: subject.id.clone(),
            owner: owner.id,
            text,
            due,
            status: ActionStatus::Open,
            result: None,
            source: source.into(),
            created_at: now.to_rfc3339(),
        };
        let by = self.me().id.clone();
        self.store.write(|tx| {
            tx.edit(&DocId::coaching(&subject.id), now.timestamp(), |d| docs::coaching::add_action(d, &item, &by))
        })?;
        Ok(item)
    }

    /// One action item by id (must be visible to me).
    pub fn action(&self, id: &str) -> Result<ActionItem> {
        let item = self.store.action_item(id)?.ok_or_else(|| {
            CoreError::NotFound(format!("no action item with id {id}: `kept action list` lists the ids"))
        })?;
        if !self.me().role.reads_team() && item.rep != self.me().id && item.owner != self.me().id {
            return Err(CoreError::NotAllowed(format!("action item {id} is another rep's")));
        }
        Ok(item)
    }

    fn update_action(
        &mut self,
        id: &str,
        status: Option<ActionStatus>,
        result: Option<&str>,
        text: Option<&str>,
        due: Option<&str>,
    ) -> Result<ActionItem> {
        let item = self.action(id)?;
        let time = self.now_secs();
        self.store.write(|tx| {
            tx.edit(&DocId::coaching(&item.rep), time, |d| {
                docs::coaching::update_action(d, id, status, result, text, due)
            })
        })?;
        self.action(id)
    }

    /// Marks an action item done with a result note.
    pub fn action_done(&mut self, id: &str, result: &str) -> Result<ActionItem> {
        let result = clean_text("result", result, 2000)?;
        self.update_action(id, Some(ActionStatus::Done), Some(&result), None, None)
    }

    /// Drops an action item (no longer relevant), with a reason.
    pub fn action_drop(&mut self, id: &str, reason: Option<&str>) -> Result<ActionItem> {
        let reason = reason.map(|r| clean_text("reason", r, 2000)).transpose()?;
        self.update_action(id, Some(ActionStatus::Dropped), reason.as_deref(), None, None)
    }

    /// Changes an action item's text and/or due date (reopening it if asked).
    pub fn action_edit(&mut self, id: &str, text: Option<&str>, due: Option<&str>, reopen: bool) -> Result<ActionItem> {
        let text = text.map(|t| clean_text("action item text", t, 500)).transpose()?;
        let due = due.map(|d| parse_date("due date", d).map(|d| d.format("%Y-%m-%d").to_string())).transpose()?;
        let status = reopen.then_some(ActionStatus::Open);
        self.update_action(id, status, None, text.as_deref(), due.as_deref())
    }

    /// Action items visible to me: a rep's own (owned by or about them); for a
    /// manager, every rep's (or one rep's). Open first, by due date.
    pub fn action_items(&self, filter: &ActionFilter) -> Result<Vec<ActionItem>> {
        let (mine, rep) = if !self.me().role.reads_team() {
            (Some(self.me().id.clone()), None)
        } else {
            (None, filter.rep.as_deref().map(|r| self.member_named(r)).transpose()?.map(|m| m.id))
        };
        self.store.action_items(ItemQuery { mine: mine.as_deref(), rep: rep.as_deref(), status: filter.status })
    }
}
