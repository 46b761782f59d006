//! Who may read and write which document: the rules of `kept_protocol::access`
//! applied to the relay's membership tables and the document id's registered
//! metadata.

use crate::storage::{Caller, ReadScope};
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

/// May `caller` write `doc`? `members` are the caller's team's members.
pub fn may_write(
    caller: &Caller,
    doc: &DocId,
    members: &[MemberInfo],
) -> Result<(), kept_protocol::access::WriteDenied> {
    let active = doc.subject().is_some_and(|s| members.iter().any(|m| m.id == s && m.active));
    kept_protocol::access::may_write(&caller.member_id, caller.role, doc, active)
}
