//! Who may read and write which document: the rules of `kept_protocol::access`
//! applied to the relay's membership tables and the document id's registered
//! metadata.

use crate::storage::{Caller, ReadScope, Storage, StorageResult};
use kept_protocol::ids::DocId;
use kept_protocol::wire::MemberInfo;
use kept_protocol::Role;

/// The pull scope of a caller (the SQL form of [`may_read`]).
pub fn read_scope(caller: &Caller) -> ReadScope {
    match caller.role {
        Role::Manager | Role::Leader => ReadScope::All,
        Role::Rep => ReadScope::Member(caller.member_id.clone()),
    }
}

/// May `caller` read `doc`?
pub fn may_read(caller: &Caller, doc: &DocId) -> bool {
    kept_protocol::access::may_read(&caller.member_id, caller.role, doc)
}

/// May `caller` write `doc`? `members` are the caller's team's members, or
/// none when [`members_for`] says the documents do not need them: the
/// caller's own membership was found active with their token.
pub fn may_write(
    caller: &Caller,
    doc: &DocId,
    members: &[MemberInfo],
) -> Result<(), kept_protocol::access::WriteDenied> {
    let active = doc.subject().is_some()
        && someone_else(caller, doc).is_none_or(|s| members.iter().any(|m| m.id == s && m.active));
    kept_protocol::access::may_write(&caller.member_id, caller.role, doc, active)
}

/// The document's subject when it is someone other than the caller: the
/// caller's own membership was found active with their token.
fn someone_else<'d>(caller: &Caller, doc: &'d DocId) -> Option<&'d str> {
    doc.subject().filter(|s| *s != caller.member_id)
}

/// The members [`may_write`] needs to decide on `docs`: the team's, read
/// only when one of the documents is about someone other than the caller (a
/// rep's pushes, all to their own documents, cost no read of the list).
pub async fn members_for<'a>(
    storage: &dyn Storage,
    caller: &Caller,
    docs: impl IntoIterator<Item = &'a DocId>,
) -> StorageResult<Vec<MemberInfo>> {
    if docs.into_iter().any(|d| someone_else(caller, d).is_some()) {
        storage.members(&caller.team_id).await
    } else {
        Ok(Vec::new())
    }
}
