//! Loading and validating every imported SocialEval tree (issue target: at most 300 ms for the
//! 210 shared trees).

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SOCIUS_SOCIALEVAL_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/socialeval"),
        PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}

fn load_and_validate(c: &mut Criterion) {
    let Some(src) = corpus_dir() else {
        eprintln!("SOCIUS_SOCIALEVAL_DIR unset and ../shared/data/socialeval missing: skipping");
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let report = socius::script::socialeval::import_paths(&[src], out.path());
    assert!(
        report.failed.is_empty(),
        "import failed: {:?}",
        report.failed
    );
    let files = socius::script::load::collect_paths(&[out.path().to_path_buf()])
        .expect("files")
        .files;
    assert!(files.len() >= 200, "only {} trees imported", files.len());
    let mut group = c.benchmark_group("scripts");
    group.sample_size(20);
    group.bench_function("load_validate_imported_corpus_all_cores", |b| {
        b.iter(|| {
            let loaded = socius::script::load::load_files(&files);
            assert!(loaded.iter().all(|l| !l.has_errors()));
        });
    });
    group.bench_function("load_validate_imported_corpus", |b| {
        b.iter(|| {
            let mut errors = 0;
            for f in &files {
                let loaded = socius::script::load_file(f);
                errors += usize::from(loaded.has_errors());
            }
            assert_eq!(errors, 0);
        });
    });
    let bundled = socius::script::load::collect_paths(&[PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts"
    ))])
    .expect("bundled scripts")
    .files;
    group.bench_function("load_validate_bundled", |b| {
        b.iter(|| {
            for f in &bundled {
                let loaded = socius::script::load_file(f);
                assert!(!loaded.has_errors());
            }
        });
    });
    let texts: Vec<String> = bundled
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read"))
        .collect();
    group.bench_function("yaml_read_only_bundled", |b| {
        b.iter(|| {
            for t in &texts {
                let doc = socius::script::yaml::read(t);
                assert!(doc.root.is_some());
            }
        });
    });
    group.bench_function("load_str_bundled", |b| {
        b.iter(|| {
            for t in &texts {
                let (s, _, _) = socius::script::load::load_str(t);
                assert!(s.is_some());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, load_and_validate);
criterion_main!(benches);
