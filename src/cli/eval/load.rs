//! Loading the scripts of `socius eval` and choosing the trees to run.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::Failure;
use crate::eval::runner::EvalTree;
use crate::eval::settings::{EvalKind, RunSettings};
use crate::script::Loaded;
use crate::script::load::{ScriptKind, collect_paths, load_files};
use crate::script::model::WorldTree;

/// Load, check and select the trees.
pub(super) fn load_trees(
    paths: &[PathBuf],
    settings: &RunSettings,
) -> Result<Vec<EvalTree>, Failure> {
    let walk = collect_paths(paths).map_err(Failure::Error)?;
    for (path, why) in &walk.skipped {
        errln!("socius: warning: skipping {}: {why}", path.display());
    }
    let mut trees: Vec<EvalTree> = Vec::new();
    let (mut not_text, mut no_items, mut other_lang, mut cr, mut studies) = (0, 0, 0, 0, 0);
    for loaded in load_files(&walk.files) {
        if loaded
            .script
            .as_ref()
            .is_some_and(|s| s.kind() != ScriptKind::WorldTree)
        {
            if loaded
                .script
                .as_ref()
                .is_some_and(|s| s.kind() == ScriptKind::Study)
            {
                studies += 1;
            } else {
                cr += 1;
            }
            continue;
        }
        let Some(tree) = usable(&loaded) else {
            continue;
        };
        if settings.lang.is_some_and(|l| l != tree.language) {
            other_lang += 1;
            continue;
        }
        if !settings.protocol.walks(tree) {
            not_text += 1;
            continue;
        }
        if settings.kind == EvalKind::Iae && crate::engine::iae::items(tree).is_empty() {
            no_items += 1;
            continue;
        }
        if let Some(first) = trees.iter().find(|t| t.tree.id == tree.id) {
            errln!(
                "socius: warning: skipping {}: tree id {} is also used by {}",
                loaded.path.display(),
                tree.id,
                first.source.display()
            );
            continue;
        }
        trees.push(EvalTree {
            tree: Arc::new(tree.clone()),
            hash: loaded.hash.clone(),
            source: loaded.path.clone(),
        });
    }
    if not_text > 0 {
        errln!(
            "socius: {not_text} tree(s) flagged not_playable_as_text left out (the socius \
             protocol walks text only; --protocol socialeval walks them)"
        );
    }
    if cr > 0 {
        errln!(
            "socius: {cr} CR script(s) (cr_protocol, cr_case, cr_redteam) left out: \
             `socius eval` runs world trees"
        );
    }
    if studies > 0 {
        errln!(
            "socius: {studies} study file(s) (kind: study) left out: `socius eval` runs world trees"
        );
    }
    if no_items > 0 {
        errln!("socius: {no_items} tree(s) without IAE items left out");
    }
    if trees.is_empty() {
        let mut msg = "no world tree to evaluate".to_owned();
        if other_lang > 0 {
            msg.push_str(&format!(" ({other_lang} in another language than --lang)"));
        }
        return Err(Failure::Error(msg));
    }
    Ok(trees)
}

/// The world tree of a loaded file, or a warning saying why it is skipped.
fn usable(loaded: &Loaded) -> Option<&WorldTree> {
    if let Some(tree) = loaded.world_tree() {
        return Some(tree);
    }
    let file = loaded.path.display().to_string();
    let why = loaded
        .diagnostics
        .iter()
        .find(|d| d.is_error())
        .map_or_else(|| "not a world tree".to_owned(), |d| d.render(&file));
    let more = loaded.diagnostics.iter().filter(|d| d.is_error()).count();
    let more = if more > 1 {
        format!(" (and {} more error(s); see `socius check`)", more - 1)
    } else {
        String::new()
    };
    errln!("socius: warning: skipping {file}: {why}{more}");
    None
}
