//! Who may read and write which document, decided from the relay's membership tables and the document id's registered metadata.

use crate::storage::{Caller, ReadScope};
use kept_core::docs::{DocId, DocKind};
use kept_core::model::Role;
use kept_core::protocol::MemberInfo;

/// The pull scope of a caller (the SQL form of `kept_core::service::may_read`).
pub fn read_scope(caller: &Caller) -> ReadScope {
    match caller.role {
        Role::Manager => ReadScope::All,
        Role::Rep => ReadScope::Member(caller.member_id.clone()),
    }
}

/// May `caller` read `doc`?
pub fn may_read(caller: &Caller, doc: &DocId) -> bool {
    kept_core::service::may_read(&caller.member_id, caller.role, doc)
}

/// May `caller` write `doc`? `members` are the caller's team's members. Err holds why not.
pub fn may_write(caller: &Caller, doc: &DocId, members: &[MemberInfo]) -> Result<(), String> {
    if doc.kind() == DocKind::Team {
        return match caller.role {
            Role::Manager => Ok(()),
            Role::Rep => Err("only managers write the team document".into()),
        };
    }
    let subject = doc.subject().unwrap_or_default();
    if !members.iter().any(|m| m.id == subject && m.active) {
        return Err(format!("member '{subject}' is not an active member of your team"));
    }
    if caller.role == Role::Manager || caller.member_id == subject {
        Ok(())
    } else {
        Err("a rep writes only their own documents".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "01900000-0000-7000-8000-00000000000a";
    const B: &str = "01900000-0000-7000-8000-00000000000b";

    fn caller(member: &str, role: Role) -> Caller {
        Caller { device_id: "d".into(), member_id: member.into(), team_id: "t".into(), role }
    }
    fn member(id: &str, active: bool) -> MemberInfo {
        MemberInfo { id: id.into(), name: id.into(), role: Role::Rep, active }
    }

    #[test]
    fn write_rules() {
        let members = [member(A, true), member(B, false)];
        let rep = caller(A, Role::Rep);
        let boss = caller("01900000-0000-7000-8000-0000000000ff", Role::Manager);
        assert!(may_write(&rep, &DocId::plan(A), &members).is_ok());
        assert!(may_write(&rep, &DocId::team(), &members).is_err());
        assert!(may_write(&boss, &DocId::team(), &members).is_ok());
        assert!(may_write(&boss, &DocId::plan(A), &members).is_ok());
        assert!(may_write(&boss, &DocId::plan(B), &members).is_err(), "B was removed");
        assert!(may_write(&caller(B, Role::Rep), &DocId::plan(A), &members).is_err());
        assert!(may_read(&rep, &DocId::team()) && !may_read(&rep, &DocId::plan(B)));
    }
}
