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

/// Automerge's change parser on untrusted bytes, with its panics (hostile
/// bytes can make it unwrap an overflowing conversion) turned into a refusal.
pub fn from_bytes(bytes: Vec<u8>) -> Result<automerge::Change, ChangeError> {
    match std::panic::catch_unwind(move || automerge::Change::from_bytes(bytes)) {
        Ok(parsed) => parsed.map_err(|e| ChangeError::NotAChange(e.to_string())),
        Err(_) => Err(ChangeError::NotAChange("Automerge's parser could not read it (it panicked)".into())),
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
    let change = from_bytes(bytes)?;
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

/// `changes` reordered so each comes after those of its dependencies that are
/// among them (Kahn's order, otherwise as given). Automerge applies such a
/// sequence straight through; in any other order it queues changes and scans
/// the queue again after each one it applies.
pub fn causal_order(changes: Vec<automerge::Change>) -> Vec<automerge::Change> {
    use std::collections::HashMap;
    let index: HashMap<automerge::ChangeHash, usize> = changes.iter().enumerate().map(|(i, c)| (c.hash(), i)).collect();
    let mut waiting_on = vec![0usize; changes.len()];
    let mut unblocks: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, c) in changes.iter().enumerate() {
        for d in c.deps() {
            if let Some(&j) = index.get(d) {
                waiting_on[i] += 1;
                unblocks[j].push(i);
            }
        }
    }
    let mut ready: std::collections::VecDeque<usize> = (0..changes.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut order = Vec::with_capacity(changes.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        for &k in &unblocks[i] {
            waiting_on[k] -= 1;
            if waiting_on[k] == 0 {
                ready.push_back(k);
            }
        }
    }
    let mut slots: Vec<Option<automerge::Change>> = changes.into_iter().map(Some).collect();
    // Every change is placed once; anything left (a repeated hash) goes last.
    let mut out: Vec<automerge::Change> = order.into_iter().filter_map(|i| slots[i].take()).collect();
    out.extend(slots.into_iter().flatten());
    out
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
    // Fast path: a key is stored in an uncompressed change as its plain
    // UTF-8 bytes, so when no reserved name occurs anywhere in the bytes no
    // operation can write one (a tap's change: no decoding). Otherwise, or
    // for a compressed change, every operation is decoded and looked at.
    let raw = change.raw_bytes();
    if raw.get(8) == Some(&CHUNK_CHANGE) {
        let names = ["kind", "schema"]
            .into_iter()
            .chain(crate::genesis::root_maps(kind).iter().copied())
            .chain(crate::genesis::later_root_maps(kind).iter().copied());
        if names.into_iter().all(|k| !contains(raw, k.as_bytes())) {
            return Ok(());
        }
    }
    for op in change.decode().operations {
        if let (automerge::legacy::ObjectId::Root, automerge::legacy::Key::Map(k)) = (&op.obj, &op.key) {
            if reserved(k) {
                return Err(ChangeError::ReservedRootKey(k.to_string()));
            }
        }
    }
    Ok(())
}

/// True when `needle` occurs in `hay` (compared only where its first byte
/// occurs: this runs on every pushed change).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else { return false };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else { return false };
    (0..=last_start).any(|i| hay[i] == first && &hay[i + 1..i + needle.len()] == rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::{genesis, genesis_actor, genesis_change, root_map_change};
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    #[test]
    fn contains_finds_a_name_anywhere_and_nothing_that_is_not_there() {
        assert!(contains(b"kind", b"kind"));
        assert!(contains(b"xxkindx", b"kind"));
        assert!(contains(b"xxkkind", b"kind"), "at the very end, after a false start");
        assert!(!contains(b"kin", b"kind"), "longer than the bytes");
        assert!(!contains(b"kinD kinx", b"kind"));
        assert!(!contains(b"anything", b""));
    }

    /// Found by the push_body fuzz target: a change whose object-id column
    /// holds a counter past u32::MAX made Automerge's parser panic
    /// (`OpId::new` unwraps a conversion). Parsing untrusted bytes must refuse
    /// it with a reason instead.
    #[test]
    fn a_change_that_makes_automerges_parser_panic_is_refused_not_a_panic() {
        const A: &[u8] = &[
            133, 111, 74, 131, 54, 212, 127, 15, 1, 194, 4, 0, 16, 73, 232, 75, 90, 127, 114, 49, 221, 242, 79, 234,
            234, 164, 226, 143, 238, 1, 1, 0, 0, 0, 8, 1, 4, 2, 32, 21, 183, 2, 52, 1, 66, 34, 86, 43, 87, 110, 112, 2,
            0, 5, 31, 0, 0, 5, 3, 4, 127, 3, 3, 9, 127, 3, 3, 13, 90, 114, 216, 175, 138, 220, 131, 21, 127, 3, 3, 25,
            127, 3, 3, 29, 127, 3, 3, 33, 92, 4, 107, 105, 110, 100, 6, 115, 99, 104, 101, 109, 97, 14, 97, 99, 116,
            105, 118, 105, 116, 121, 95, 116, 121, 112, 101, 115, 8, 115, 101, 116, 116, 105, 110, 103, 115, 5, 107,
            117, 100, 111, 115, 9, 116, 105, 109, 101, 95, 122, 111, 110, 101, 10, 119, 101, 101, 107, 95, 115, 116,
            97, 114, 116, 12, 119, 111, 114, 107, 105, 110, 103, 95, 100, 97, 121, 115, 4, 99, 97, 108, 108, 5, 108,
            97, 98, 101, 108, 7, 108, 101, 97, 100, 105, 110, 103, 8, 112, 111, 115, 105, 116, 105, 111, 110, 12, 99,
            111, 110, 118, 101, 114, 115, 97, 116, 105, 111, 110, 5, 108, 97, 98, 101, 108, 7, 108, 101, 97, 100, 105,
            110, 103, 8, 112, 111, 115, 105, 116, 105, 111, 110, 11, 109, 101, 101, 116, 105, 110, 103, 45, 115, 101,
            116, 5, 108, 97, 98, 101, 108, 7, 108, 101, 97, 100, 105, 110, 103, 8, 112, 111, 115, 105, 116, 105, 111,
            110, 12, 109, 101, 101, 116, 105, 110, 103, 45, 104, 101, 108, 100, 5, 108, 97, 98, 101, 108, 7, 108, 101,
            97, 100, 105, 110, 103, 8, 112, 111, 115, 105, 116, 105, 111, 110, 8, 112, 114, 111, 112, 111, 115, 97,
            108, 5, 108, 97, 98, 101, 108, 7, 108, 101, 97, 100, 105, 110, 103, 8, 112, 111, 115, 105, 116, 105, 111,
            110, 14, 114, 101, 102, 101, 114, 114, 97, 108, 45, 97, 115, 107, 101, 100, 5, 108, 97, 98, 101, 108, 7,
            108, 101, 97, 100, 105, 110, 103, 8, 112, 111, 115, 105, 116, 105, 111, 110, 5, 101, 109, 97, 105, 108, 5,
            108, 97, 98, 101, 108, 7, 108, 101, 97, 100, 105, 110, 103, 8, 112, 111, 115, 105, 116, 105, 111, 110, 36,
            2, 1, 3, 0, 3, 1, 127, 0, 3, 1, 127, 0, 3, 1, 127, 0, 3, 3, 38, 182, 150, 230, 117, 246, 70, 23, 151, 48,
            70, 54, 22, 198, 195, 1, 126, 70, 20, 3, 0, 2, 54, 99, 182, 2, 0, 86, 2, 20, 0, 214, 1, 2, 20, 0, 198, 1,
            2, 20, 0, 214, 1, 2, 20, 0, 150, 1, 2, 20, 0, 246, 1, 2, 20, 0, 102, 1, 20, 116, 101, 97, 109, 1, 85, 84,
            67, 109, 111, 110, 109, 111, 110, 44, 116, 117, 101, 44, 119, 101, 100, 44, 116, 104, 117, 44, 102, 114,
            105, 67, 97, 108, 108, 115, 0, 67, 111, 110, 118, 101, 114, 115, 97, 116, 105, 111, 110, 115, 1, 77, 101,
            101, 116, 105, 110, 103, 115, 32, 115, 101, 116, 2, 77, 101, 101, 116, 105, 110, 103, 115, 32, 104, 101,
            108, 100, 3, 80, 114, 111, 112, 111, 115, 97, 108, 115, 4, 82, 101, 102, 101, 114, 114, 97, 108, 115, 32,
            97, 115, 107, 101, 100, 5, 69, 109, 97, 105, 108, 115, 6, 36, 0,
        ];
        const B: &[u8] = &[
            133, 111, 74, 131, 134, 45, 65, 141, 1, 155, 1, 1, 54, 212, 127, 15, 173, 50, 119, 37, 165, 91, 164, 194,
            102, 241, 205, 119, 8, 79, 208, 152, 90, 235, 121, 116, 74, 109, 185, 196, 101, 100, 222, 101, 16, 153,
            221, 127, 193, 173, 88, 77, 155, 23, 66, 117, 239, 157, 231, 189, 160, 1, 37, 192, 155, 155, 216, 6, 0, 1,
            16, 73, 232, 75, 90, 127, 114, 49, 221, 242, 79, 234, 234, 164, 226, 143, 238, 10, 1, 2, 2, 2, 21, 16, 52,
            1, 66, 2, 86, 5, 87, 23, 112, 3, 113, 2, 115, 2, 2, 1, 2, 4, 126, 4, 110, 97, 109, 101, 9, 116, 105, 109,
            101, 95, 122, 111, 110, 101, 2, 2, 1, 126, 166, 1, 214, 1, 70, 117, 150, 231, 224, 0, 23, 240, 23, 240, 96,
        ];
        for bytes in [A, B] {
            let mut budget = crate::wire::MAX_BODY_BYTES;
            // Either way, no panic reaches the caller.
            if let Err(e) = parse_change(bytes.to_vec(), &mut budget) {
                assert!(!e.to_string().is_empty());
            }
        }
        let mut budget = crate::wire::MAX_BODY_BYTES;
        let err = parse_change(A.to_vec(), &mut budget).err().or_else(|| parse_change(B.to_vec(), &mut budget).err());
        assert!(err.is_some_and(|e| e.to_string().contains("not an Automerge change")), "one of them is refused");
    }

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
        // A reserved name as a value, or inside a record, is not a root key:
        // found in the bytes, the change is decoded and passes.
        let mut g = genesis(&id).expect("g");
        g.set_actor(automerge::ActorId::random());
        let rec = g.put_object(&m, "01900000-0000-7000-8000-000000000002", automerge::ObjType::Map).expect("rec");
        g.put(&rec, "note", "this kind of activities schema").expect("put");
        g.put(&rec, "activities", 2).expect("put");
        g.commit();
        let c = g.get_last_local_change().expect("c").clone();
        assert!(contains(c.raw_bytes(), b"activities"));
        assert_eq!(check_root_keys(&id, &c, false), Ok(()));
        // … and a root write beside it is still found.
        g.put(ROOT, "schema", 9).expect("put");
        g.put(&rec, "note", "x").expect("put");
        g.commit();
        let c = g.get_last_local_change().expect("c").clone();
        assert_eq!(check_root_keys(&id, &c, false), Err(ChangeError::ReservedRootKey("schema".into())));
    }

    #[test]
    fn causal_order_puts_dependencies_first_and_keeps_every_change() {
        let mut a = AutoCommit::new().with_actor(automerge::ActorId::from([1u8; 16].as_slice()));
        let mut chain = Vec::new();
        for i in 0..6i64 {
            a.put(ROOT, "k", i).expect("put");
            a.commit();
            chain.push(a.get_last_local_change().expect("change").clone());
        }
        // A second writer's change on top of the last one.
        let mut b =
            AutoCommit::load(&a.save()).expect("load").with_actor(automerge::ActorId::from([2u8; 16].as_slice()));
        b.put(ROOT, "b", 1).expect("put");
        b.commit();
        let other = b.get_last_local_change().expect("change").clone();
        let mut shuffled: Vec<automerge::Change> = chain.iter().rev().cloned().collect();
        shuffled.insert(2, other.clone());
        let ordered = causal_order(shuffled);
        assert_eq!(ordered.len(), 7);
        let pos = |h: automerge::ChangeHash| ordered.iter().position(|c| c.hash() == h).expect("kept");
        for w in chain.windows(2) {
            assert!(pos(w[0].hash()) < pos(w[1].hash()), "a dependency came after its dependant");
        }
        assert!(pos(chain[5].hash()) < pos(other.hash()));
        let mut doc = automerge::Automerge::new();
        doc.apply_changes(ordered).expect("apply");
        assert!(automerge::ReadDoc::get_missing_deps(&doc, &[]).is_empty());
    }
}
