//! Importing the shared SocialEval trees: read JSON → model → YAML written to a temporary folder
//! (issue target: at most 1 s for the 210 trees).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

/// `$SOCIUS_SOCIALEVAL_DIR`, else `../shared/data/socialeval` next to the package.
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SOCIUS_SOCIALEVAL_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/socialeval"),
            PathBuf::from,
        );
    dir.is_dir().then_some(dir)
}

fn import_corpus(c: &mut Criterion) {
    let Some(src) = corpus_dir() else {
        eprintln!(
            "notice: SOCIUS_SOCIALEVAL_DIR is unset and ../shared/data/socialeval is missing; skipping the import benchmark"
        );
        return;
    };
    let Ok(out) = tempfile::tempdir() else {
        eprintln!("notice: cannot create a temporary folder; skipping the import benchmark");
        return;
    };
    let first = socius::script::socialeval::import_paths(std::slice::from_ref(&src), out.path());
    assert!(first.failed.is_empty(), "import failed: {:?}", first.failed);
    eprintln!("importing {} trees from {}", first.trees, src.display());
    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.bench_function("socialeval_corpus_to_yaml", |b| {
        b.iter(|| {
            let report =
                socius::script::socialeval::import_paths(std::slice::from_ref(&src), out.path());
            assert_eq!(report.written.len(), first.written.len());
        });
    });
    group.finish();
}

criterion_group!(benches, import_corpus);
criterion_main!(benches);
