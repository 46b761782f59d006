//! Who may read and write which document. The relay decides from these rules,
//! its own membership tables and the document id (never from document
//! contents); a device applies the same rules to give a clear error before it
//! syncs.

use crate::ids::{DocId, DocKind, Role};

/// Why a write is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteDenied {
    /// Only managers write the team document.
    #[error("only managers write the team document")]
    TeamDocument,
    /// The subject of the document is not an active member of the caller's team.
    #[error("member '{0}' is not an active member of your team")]
    NotAMember(String),
    /// A rep writes only their own documents.
    #[error("a rep writes only their own documents")]
    NotYours,
    /// What managers write about a rep (their scores and ratings).
    #[error("only managers write a review document (a manager's assessment scores and ratings of a rep)")]
    ManagersOnly,
    /// A leader reads a team and writes nothing in it.
    #[error("a leader reads this team and writes nothing in it; its manager makes the changes")]
    LeaderReadsOnly,
}

/// Who reads a document besides the members whose role reads the whole team
/// (managers and leaders, [`Role::reads_team`]). [`may_read`] is written over
/// it, and the relay wakes live sockets from it, so both follow one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers<'a> {
    /// Every member of the team (the team document).
    Everyone,
    /// The member the document is about.
    Subject(&'a str),
    /// Only the members whose role reads the team.
    TeamReaders,
}

/// The readers of document `id`, from the id alone.
pub fn readers(id: &DocId) -> Readers<'_> {
    if id.kind() == DocKind::Team {
        return Readers::Everyone;
    }
    match id.subject() {
        Some(member) => Readers::Subject(member),
        None => Readers::TeamReaders,
    }
}

/// May `member` (with `role`) read document `id`? A manager or a leader
/// reads every document of the team; a rep reads the team document and their own.
pub fn may_read(member: &str, role: Role, id: &DocId) -> bool {
    role.reads_team()
        || match readers(id) {
            Readers::Everyone => true,
            Readers::Subject(subject) => subject == member,
            Readers::TeamReaders => false,
        }
}

/// May `member` (with `role`) write document `id`? `subject_active` says
/// whether the document's subject is an active member of the team.
pub fn may_write(member: &str, role: Role, id: &DocId, subject_active: bool) -> Result<(), WriteDenied> {
    if role == Role::Leader {
        return Err(WriteDenied::LeaderReadsOnly);
    }
    if id.kind() == DocKind::Team {
        return match role {
            Role::Manager => Ok(()),
            Role::Rep | Role::Leader => Err(WriteDenied::TeamDocument),
        };
    }
    let subject = id.subject().unwrap_or_default();
    if !subject_active {
        return Err(WriteDenied::NotAMember(subject.to_string()));
    }
    match (role, id.kind()) {
        (Role::Manager, _) => Ok(()),
        (Role::Rep, DocKind::Review) => Err(WriteDenied::ManagersOnly),
        (Role::Rep, _) if member == subject => Ok(()),
        (Role::Rep, _) => Err(WriteDenied::NotYours),
        (Role::Leader, _) => Err(WriteDenied::LeaderReadsOnly),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "01900000-0000-7000-8000-00000000000a";
    const B: &str = "01900000-0000-7000-8000-00000000000b";
    const BOSS: &str = "01900000-0000-7000-8000-0000000000ff";

    #[test]
    fn write_rules() {
        assert!(may_write(A, Role::Rep, &DocId::plan(A), true).is_ok());
        assert_eq!(may_write(A, Role::Rep, &DocId::team(), true), Err(WriteDenied::TeamDocument));
        assert!(may_write(BOSS, Role::Manager, &DocId::team(), true).is_ok());
        assert!(may_write(BOSS, Role::Manager, &DocId::plan(A), true).is_ok());
        assert!(may_write(BOSS, Role::Manager, &DocId::plan(B), false).is_err(), "B was removed");
        assert_eq!(may_write(B, Role::Rep, &DocId::plan(A), true), Err(WriteDenied::NotYours));
        assert!(may_read(A, Role::Rep, &DocId::team()) && !may_read(A, Role::Rep, &DocId::plan(B)));
        assert!(may_read(BOSS, Role::Manager, &DocId::plan(B)));
        // Authorship is structural: a rep reads but never writes what managers write about them.
        assert_eq!(may_write(A, Role::Rep, &DocId::review(A), true), Err(WriteDenied::ManagersOnly));
        assert!(may_write(BOSS, Role::Manager, &DocId::review(A), true).is_ok());
        assert!(may_read(A, Role::Rep, &DocId::review(A)) && !may_read(A, Role::Rep, &DocId::review(B)));
        // A leader reads everything of the team and writes nothing.
        assert!(may_read(BOSS, Role::Leader, &DocId::review(B)) && may_read(BOSS, Role::Leader, &DocId::plan(A)));
        for id in [DocId::team(), DocId::plan(A), DocId::review(A)] {
            assert_eq!(may_write(BOSS, Role::Leader, &id, true), Err(WriteDenied::LeaderReadsOnly));
        }
    }

    #[test]
    fn readers_of_a_document_follow_its_id() {
        let week = "2026-W48".parse().expect("week");
        assert_eq!(readers(&DocId::team()), Readers::Everyone);
        for id in [DocId::log(A, week), DocId::plan(A), DocId::pipeline(A), DocId::coaching(A), DocId::review(A)] {
            assert_eq!(readers(&id), Readers::Subject(A), "{id}");
            assert!(may_read(A, Role::Rep, &id) && !may_read(B, Role::Rep, &id), "{id}");
        }
    }
}
