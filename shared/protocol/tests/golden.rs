//! The canonical changes never change: every genesis and root-map change
//! kept-protocol computes is compared byte for byte with the fixtures the
//! JavaScript client checks too (`tests/interop-js/fixtures/canonical.json`).

use kept_protocol::genesis::{genesis_change, later_root_maps, root_map_change};
use kept_protocol::{DocId, DocKind};

#[test]
fn every_canonical_change_is_byte_identical_to_its_golden_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/interop-js/fixtures/canonical.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixtures: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let changes = fixtures["changes"].as_array().unwrap_or_else(|| panic!("{path}: no changes"));
    assert!(changes.len() >= 9, "every kind's genesis and every later root map has a fixture");
    for kind in [DocKind::Team, DocKind::Log, DocKind::Plan, DocKind::Pipeline, DocKind::Coaching, DocKind::Review] {
        for name in later_root_maps(kind) {
            assert!(
                changes.iter().any(|c| c["root_map"].as_str() == Some(*name)
                    && c["doc"].as_str().is_some_and(|d| d.split('/').next() == Some(kind.as_str()))),
                "the '{name}' root map of {} documents has no golden fixture: add it to LATER_ROOT_MAPS in \
                 tests/interop-js/lib/format.js and run `node fixtures/generate.js` there",
                kind.as_str()
            );
        }
    }
    for c in changes {
        let doc: DocId = c["doc"].as_str().unwrap_or_default().parse().unwrap_or_else(|e| panic!("{e}"));
        let (bytes, what) = match c["root_map"].as_str() {
            Some(name) => (root_map_change(&doc, name), format!("the '{name}' root-map change of {doc}")),
            None => (genesis_change(&doc), format!("the genesis of {doc}")),
        };
        let bytes = bytes.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            hex::encode(&bytes),
            c["hex"].as_str().unwrap_or_default(),
            "{what} changed. A shipped genesis or root-map change must NEVER change: devices that create the \
             same document offline share its root maps only because they all produce these exact bytes, and the \
             relay refuses any other bytes under a canonical actor — a new build would fork every new document \
             and be refused by the relay (docs/FORMAT.md §4, §5, §11). Add a new root map with a new canonical \
             change instead."
        );
    }
}
