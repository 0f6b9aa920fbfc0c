//! Any bytes as a JSONL export imported into a store: each line is parsed, checked and merged;
//! a bad line is an error, never a panic, and the store stays readable.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use socius::store::{Filter, Store};

fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = Store::open(dir.path()).expect("store");
            (dir, store)
        })
        .1
}

fuzz_target!(|data: &[u8]| {
    let store = store();
    let _ = store.import_jsonl(std::io::Cursor::new(data), "fuzz.jsonl");
    // Whatever went in must read back.
    let sessions = store.list(&Filter::default()).expect("list after import");
    if let Some(last) = sessions.last() {
        store.record(last.id).expect("record after import");
    }
});
