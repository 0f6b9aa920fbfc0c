//! Files: finding sources, reading JSON, naming outputs, writing YAML atomically, and the
//! batch report.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::convert::{scalar_text, type_name};
use super::{FailedFile, FlagKind, FlagRecord, ImportError, ImportReport, RepairRecord, display};
use crate::fsx::{self, WriteError};
use crate::script::yaml;

/// Import SocialEval sources (per-tree JSON files, folders of them, merged lists) into `out_dir`,
/// one YAML file per tree. A bad file is recorded in the report and never stops the batch.
#[must_use]
pub fn import_paths(sources: &[PathBuf], out_dir: &Path) -> ImportReport {
    let mut report = ImportReport {
        schema: 1,
        ..ImportReport::default()
    };
    let (files, mut failed) = collect(sources);
    report.failed.append(&mut failed);
    if files.is_empty() {
        return report;
    }
    if let Err(e) = fs::create_dir_all(out_dir) {
        report.failed.push(FailedFile {
            file: display(out_dir),
            error: format!("cannot create the output folder: {e}"),
        });
        return report;
    }
    let mut used = HashSet::new();
    for path in files {
        report.files += 1;
        let file = display(&path);
        let name = path
            .file_name()
            .map_or_else(|| file.clone(), |n| n.to_string_lossy().into_owned());
        let value = match crate::fsx::read_regular(&path, crate::fsx::MAX_JSON_BYTES)
            .map_err(ImportError::Read)
            .and_then(|b| parse_json(&b))
        {
            Ok(v) => v,
            Err(e) => {
                report.failed.push(FailedFile {
                    file,
                    error: e.to_string(),
                });
                continue;
            }
        };
        match value {
            Value::Array(entries) => {
                let before = report.trees + report.failed.len();
                for (i, entry) in entries.iter().enumerate() {
                    merged_entry(entry, i, &file, &name, out_dir, &mut used, &mut report);
                }
                if report.trees + report.failed.len() == before {
                    report.failed.push(FailedFile {
                        file,
                        error: "the merged list holds no trees".to_owned(),
                    });
                }
            }
            tree => one_tree(&tree, &file, &name, out_dir, &mut used, &mut report),
        }
    }
    report
}

fn merged_entry(
    entry: &Value,
    index: usize,
    file: &str,
    name: &str,
    out_dir: &Path,
    used: &mut HashSet<String>,
    report: &mut ImportReport,
) {
    let Value::Object(obj) = entry else {
        report.failed.push(FailedFile {
            file: format!("{file}#{index}"),
            error: format!(
                "a merged list holds {{data_id, cn_data, en_data}} objects, found {}",
                type_name(entry)
            ),
        });
        return;
    };
    if !obj.contains_key("cn_data") && !obj.contains_key("en_data") {
        report.failed.push(FailedFile {
            file: format!("{file}#{index}"),
            error: "a merged-list entry needs `cn_data` or `en_data`".to_owned(),
        });
        return;
    }
    let id = obj
        .get("data_id")
        .and_then(scalar_text)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| index.to_string());
    for lang in ["cn", "en"] {
        let sub_file = format!("{file}#{id}/{lang}");
        let sub_name = format!("{name}#{id}/{lang}");
        match obj.get(&format!("{lang}_data")) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => match parse_json(s.as_bytes()) {
                Ok(v) => one_tree(&v, &sub_file, &sub_name, out_dir, used, report),
                Err(e) => report.failed.push(FailedFile {
                    file: sub_file,
                    error: format!("`{lang}_data` holds text that is not a tree: {e}"),
                }),
            },
            Some(v) => one_tree(v, &sub_file, &sub_name, out_dir, used, report),
        }
    }
}

/// Convert one tree and write it; everything goes into the report.
fn one_tree(
    value: &Value,
    file: &str,
    source_name: &str,
    out_dir: &Path,
    used: &mut HashSet<String>,
    report: &mut ImportReport,
) {
    let mut meta = super::naming::meta_for(source_name);
    let base = meta.file_stem.clone();
    let mut n = 1;
    while !used.insert(meta.file_stem.clone()) {
        n += 1;
        meta.file_stem = format!("{base}_{n}");
    }
    if n > 1 {
        meta.id = format!("{}-{n}", meta.id);
        report.flags.push(FlagRecord {
            file: file.to_owned(),
            kind: FlagKind::RenamedOutput,
            detail: format!(
                "another source maps to {base}.yaml; written as {}.yaml",
                meta.file_stem
            ),
        });
    }
    let converted = match super::convert::convert(value, &meta) {
        Ok(c) => c,
        Err(e) => {
            report.failed.push(FailedFile {
                file: file.to_owned(),
                error: e.to_string(),
            });
            return;
        }
    };
    report.trees += 1;
    report
        .repairs
        .extend(converted.repairs.into_iter().map(|r| RepairRecord {
            file: file.to_owned(),
            node: r.node,
            kind: r.kind,
            detail: r.detail,
        }));
    report
        .flags
        .extend(converted.flags.into_iter().map(|f| FlagRecord {
            file: file.to_owned(),
            kind: f.kind,
            detail: f.detail,
        }));
    let written = yaml::to_string(&converted.tree)
        .map_err(|e| ImportError::Yaml(e.to_string()))
        .and_then(|text| write_atomic(out_dir, &format!("{}.yaml", meta.file_stem), &text));
    match written {
        Ok(path) => report.written.push(display(&path)),
        Err(e) => report.failed.push(FailedFile {
            file: file.to_owned(),
            error: e.to_string(),
        }),
    }
}

/// Write through a temporary file in the same folder and rename it into place, so an
/// interrupted import never leaves a half-written YAML file (and a link, FIFO or device that
/// has the output's name is refused rather than written through).
fn write_atomic(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ImportError> {
    let path = dir.join(name);
    fsx::write_file_atomic(&path, |out| {
        out.write_all(text.as_bytes())
            .map_err(|e| WriteError::io(&path, e))
    })?;
    Ok(path)
}

/// Parse JSON bytes, with clear messages for empty files, binary junk and syntax errors.
pub(super) fn parse_json(bytes: &[u8]) -> Result<Value, ImportError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::Empty);
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ImportError::NotText {
            offset: e.valid_up_to(),
        });
    }
    serde_json::from_slice(bytes).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        ImportError::Json {
            line: e.line(),
            column: e.column(),
            message: full.strip_suffix(&suffix).unwrap_or(&full).to_owned(),
        }
    })
}

/// Files to import: files as given; a folder's `*.json` files, sorted (not recursive).
pub(super) fn collect(sources: &[PathBuf]) -> (Vec<PathBuf>, Vec<FailedFile>) {
    let mut files = Vec::new();
    let mut failed = Vec::new();
    for src in sources {
        if src.is_dir() {
            let entries = match fs::read_dir(src) {
                Ok(e) => e,
                Err(e) => {
                    failed.push(FailedFile {
                        file: display(src),
                        error: format!("cannot read the folder: {e}"),
                    });
                    continue;
                }
            };
            let mut found: Vec<PathBuf> = Vec::new();
            for path in entries.filter_map(Result::ok).map(|e| e.path()) {
                if !is_json(&path) {
                    continue;
                }
                match fs::metadata(&path) {
                    Ok(meta) if meta.is_file() => found.push(path),
                    Ok(meta) if meta.is_dir() => {}
                    Ok(meta) => failed.push(FailedFile {
                        file: display(&path),
                        error: format!(
                            "is {}, not a regular file; skipped",
                            crate::fsx::special_kind(&meta).unwrap_or("a special file")
                        ),
                    }),
                    Err(e) => failed.push(FailedFile {
                        file: display(&path),
                        error: crate::fsx::ReadError::from(e).to_string(),
                    }),
                }
            }
            if found.is_empty() {
                failed.push(FailedFile {
                    file: display(src),
                    error: format!("no SocialEval JSON files in {}", src.display()),
                });
            }
            found.sort();
            files.append(&mut found);
        } else if src.exists() || src.symlink_metadata().is_ok() {
            files.push(src.clone());
        } else {
            failed.push(FailedFile {
                file: display(src),
                error: "no such file or folder".to_owned(),
            });
        }
    }
    (files, failed)
}

fn is_json(p: &Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_json_messages() {
        assert!(matches!(parse_json(b"  \n"), Err(ImportError::Empty)));
        assert!(matches!(
            parse_json(b"{\"a\": \xff}"),
            Err(ImportError::NotText { offset: 6 })
        ));
        let e = parse_json(b"{\n  \"a\": [1,\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("invalid JSON at line 3, column 0: EOF while parsing"),
            "{e}"
        );
    }
}
