//! The checks a change must pass before anything parses or stores it: a
//! bounded size (a compressed change is inflated only up to the limit, so a
//! few hundred bytes cannot become gigabytes), an Automerge change chunk whose
//! checksum matches its contents, and, under a document's canonical actor,
//! byte-identity with the canonical change ([`crate::genesis`]).

use crate::genesis::{canonical_actor, canonical_bytes, Canonical};
use crate::ids::DocId;
use crate::wire::MAX_CHANGE_BYTES;
use std::io::Read;

const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
const CHUNK_CHANGE: u8 = 1;
const CHUNK_COMPRESSED: u8 = 2;

/// Why a change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    /// More bytes than one change may have.
    #[error("the change is {size} bytes, more than the limit of {limit} bytes for one change")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Compressed data that inflates past the limit (checked before inflating it all).
    #[error("the compressed change inflates to more than {limit} bytes, the limit for {what}")]
    Inflates {
        /// The limit that was hit.
        limit: usize,
        /// "one change" or "one push".
        what: &'static str,
    },
    /// Not an Automerge change chunk.
    #[error("data is not an Automerge change: {0}")]
    NotAChange(String),
    /// The header checksum does not match the contents.
    #[error("data is not an Automerge change: its checksum does not match its contents")]
    Checksum,
    /// Writes a root key that only the document's canonical changes may write.
    #[error(
        "it writes the root key '{0}', which only the document's canonical changes may write \
         (docs/FORMAT.md, 'Genesis'): a rival or replaced root map would hide the document's records"
    )]
    ReservedRootKey(String),
    /// Under a canonical actor, but not the canonical bytes.
    #[error(
        "it is written under the {0} actor of this document but is not the canonical change \
         (docs/FORMAT.md, 'Genesis'); only the exact canonical change may use that actor"
    )]
    NotCanonical(String),
}

/// Reads an unsigned LEB128 number; None if truncated or over 64 bits.
fn uleb(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

/// The inflated size of a change chunk, inflating a compressed chunk only up
/// to `limit` bytes: Err once it would pass the limit.
pub fn inflated_size(bytes: &[u8], limit: usize) -> Result<usize, ChangeError> {
    if bytes.len() > limit {
        return Err(ChangeError::TooLarge { size: bytes.len(), limit });
    }
    if bytes.len() < 9 || bytes[..4] != MAGIC {
        return Err(ChangeError::NotAChange("it does not start with an Automerge chunk header".into()));
    }
    match bytes[8] {
        CHUNK_CHANGE => Ok(bytes.len()),
        CHUNK_COMPRESSED => {
            let (len, n) =
                uleb(&bytes[9..]).ok_or_else(|| ChangeError::NotAChange("its length is not readable".into()))?;
            let start = 9 + n;
            let data = usize::try_from(len)
                .ok()
                .and_then(|l| bytes.get(start..start.checked_add(l)?))
                .ok_or_else(|| ChangeError::NotAChange("its length runs past its end".into()))?;
            let mut out = Vec::new();
            let mut reader = flate2::read::DeflateDecoder::new(data).take(limit as u64 + 1);
            reader
                .read_to_end(&mut out)
                .map_err(|e| ChangeError::NotAChange(format!("its compressed data is damaged: {e}")))?;
            let size = start + out.len();
            if out.len() > limit || size > limit {
                return Err(ChangeError::Inflates { limit, what: "one change" });
            }
            Ok(size)
        }
        other => Err(ChangeError::NotAChange(format!("chunk type {other} is not a change"))),
    }
}

/// Parses one change from untrusted bytes: bounded inflation (at most
/// [`MAX_CHANGE_BYTES`], and at most `budget` left for the whole push, which
/// is reduced), then Automerge's parser, then the checksum.
pub fn parse_change(bytes: Vec<u8>, budget: &mut usize) -> Result<automerge::Change, ChangeError> {
    let limit = MAX_CHANGE_BYTES.min(*budget);
    let size = match inflated_size(&bytes, limit) {
        Err(ChangeError::Inflates { limit: l, .. }) if l < MAX_CHANGE_BYTES => {
            return Err(ChangeError::Inflates { limit: l, what: "the rest of this push" })
        }
        other => other?,
    };
    *budget -= size.min(*budget);
    let change = automerge::Change::from_bytes(bytes).map_err(|e| ChangeError::NotAChange(e.to_string()))?;
    if !checksum_ok(&change) {
        return Err(ChangeError::Checksum);
    }
    Ok(change)
}

/// True when the change's header checksum matches its contents. Automerge
/// parses a change without comparing them; the checksum is the first four
/// bytes of the change's hash, so a damaged or altered change is caught here.
pub fn checksum_ok(change: &automerge::Change) -> bool {
    change.raw_bytes().get(4..8) == Some(&change.hash().0[..4])
}

/// A change under one of document `id`'s canonical actors must be exactly the
/// canonical change. Ok(Some) when it is one (anyone may push it), Ok(None)
/// when its actor is not canonical.
pub fn check_canonical(id: &DocId, change: &automerge::Change) -> Result<Option<Canonical>, ChangeError> {
    let Some(which) = canonical_actor(id, change.actor_id()) else {
        return Ok(None);
    };
    let name = match &which {
        Canonical::Genesis => "genesis".to_string(),
        Canonical::RootMap(n) => format!("'{n}' root-map"),
    };
    match canonical_bytes(id, &which) {
        Ok(want) if want == change.raw_bytes() => Ok(Some(which)),
        _ => Err(ChangeError::NotCanonical(name)),
    }
}

/// A change that is not canonical may not write (put, replace or delete) the
/// root keys the canonical changes own: `kind`, `schema` and the kind's root
/// maps. Otherwise a rival map at `activities`, say, would hide every record.
pub fn check_root_keys(id: &DocId, change: &automerge::Change, canonical: bool) -> Result<(), ChangeError> {
    if canonical {
        return Ok(());
    }
    let kind = id.kind();
    let reserved = |k: &str| {
        k == "kind"
            || k == "schema"
            || crate::genesis::root_maps(kind).contains(&k)
            || crate::genesis::later_root_maps(kind).contains(&k)
    };
    for op in change.decode().operations {
        if let (automerge::legacy::ObjectId::Root, automerge::legacy::Key::Map(k)) = (&op.obj, &op.key) {
            if reserved(k) {
                return Err(ChangeError::ReservedRootKey(k.to_string()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::{genesis, genesis_actor, genesis_change, root_map_change};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    const M: &str = "0190f0a0-0000-7000-8000-000000000001";

    fn big_change(len: usize) -> automerge::Change {
        let mut d = AutoCommit::new();
        d.put(ROOT, "x", "a".repeat(len)).expect("put");
        d.commit();
        d.get_last_local_change().expect("change").clone()
    }

    #[test]
    fn a_compressed_change_is_inflated_only_up_to_the_limit() {
        let mut c = big_change(300_000);
        let compressed = c.bytes().to_vec();
        assert_eq!(compressed[8], CHUNK_COMPRESSED, "Automerge compresses a large change");
        assert!(compressed.len() < 10_000, "{}", compressed.len());
        assert!(inflated_size(&compressed, 1_000_000).expect("fits") > 300_000);
        assert_eq!(
            inflated_size(&compressed, 100_000),
            Err(ChangeError::Inflates { limit: 100_000, what: "one change" })
        );
        let mut budget = 200_000;
        assert!(matches!(parse_change(compressed.clone(), &mut budget), Err(ChangeError::Inflates { .. })));
        let mut budget = usize::MAX;
        assert!(parse_change(compressed, &mut budget).is_ok());
        assert!(budget < usize::MAX - 300_000, "the push's budget shrinks by the inflated size");
    }

    #[test]
    fn garbage_and_damaged_changes_are_refused() {
        let mut budget = usize::MAX;
        assert!(matches!(parse_change(b"nonsense".to_vec(), &mut budget), Err(ChangeError::NotAChange(_))));
        let mut bytes = big_change(10).raw_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(parse_change(bytes, &mut budget).is_err());
        let mut truncated = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, CHUNK_COMPRESSED, 0xff, 0x01];
        truncated.extend([1, 2, 3]);
        assert!(matches!(parse_change(truncated, &mut budget), Err(ChangeError::NotAChange(_))));
    }

    #[test]
    fn only_the_canonical_bytes_may_use_a_canonical_actor() {
        let id = DocId::plan(M);
        let ok = automerge::Change::from_bytes(genesis_change(&id).expect("g")).expect("parse");
        assert_eq!(check_canonical(&id, &ok), Ok(Some(Canonical::Genesis)));
        let coaching = DocId::coaching(M);
        let rm = automerge::Change::from_bytes(root_map_change(&coaching, "development").expect("rm")).expect("p");
        assert_eq!(check_canonical(&coaching, &rm), Ok(Some(Canonical::RootMap("development"))));
        // The same actor with other content (a squatter before the document exists).
        let mut d = AutoCommit::new().with_actor(genesis_actor(&id));
        d.put(ROOT, "kind", "plan").expect("put");
        d.commit();
        let squat = d.get_last_local_change().expect("c").clone();
        assert!(matches!(check_canonical(&id, &squat), Err(ChangeError::NotCanonical(_))));
        // A second change by the genesis actor is refused too.
        let mut g = genesis(&id).expect("g");
        g.put(ROOT, "more", 1).expect("put");
        g.commit();
        let second = g.get_last_local_change().expect("c").clone();
        assert!(check_canonical(&id, &second).is_err());
        assert_eq!(check_canonical(&id, &big_change(1)), Ok(None));
    }

    #[test]
    fn only_canonical_changes_write_the_root_maps() {
        let id = DocId::log(M, "2026-W48".parse().expect("week"));
        let mut rival = AutoCommit::new();
        rival.put_object(ROOT, "activities", automerge::ObjType::Map).expect("map");
        rival.commit();
        let c = rival.get_last_local_change().expect("c").clone();
        assert_eq!(check_root_keys(&id, &c, false), Err(ChangeError::ReservedRootKey("activities".into())));
        // Replacing the map on top of the genesis is refused too.
        let mut g = genesis(&id).expect("g");
        g.set_actor(automerge::ActorId::random());
        g.put_object(ROOT, "activities", automerge::ObjType::Map).expect("map");
        g.commit();
        let c = g.get_last_local_change().expect("c").clone();
        assert!(check_root_keys(&id, &c, false).is_err());
        // A record inside the map, and another root key, are fine.
        let mut g = genesis(&id).expect("g");
        g.set_actor(automerge::ActorId::random());
        let m = match automerge::ReadDoc::get(&g, ROOT, "activities").expect("get") {
            Some((_, o)) => o,
            None => panic!("no map"),
        };
        g.put_object(&m, "01900000-0000-7000-8000-000000000001", automerge::ObjType::Map).expect("rec");
        g.put(ROOT, "extra", 1).expect("put");
        g.commit();
        let c = g.get_last_local_change().expect("c").clone();
        assert_eq!(check_root_keys(&id, &c, false), Ok(()));
        let gc = automerge::Change::from_bytes(genesis_change(&id).expect("g")).expect("p");
        assert_eq!(check_root_keys(&id, &gc, true), Ok(()));
    }
}
