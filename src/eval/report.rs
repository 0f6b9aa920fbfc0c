//! The readable tables `socius eval` prints without `--json`.

use std::fmt::Write as _;

use super::metrics::Dropped;
use super::summary::{GaeReport, IaeReport, Report};
use crate::script::bessi;
use crate::script::model::Orientation;
use crate::term::pad;

fn dropped_line(d: &Dropped) -> String {
    let mut line = format!(
        "dropped: {} unlabelled ending, {} dead end, {} invalid answer, {} error",
        d.unlabelled_ending, d.dead_end, d.invalid_answer, d.error
    );
    if d.unreadable_source > 0 {
        let _ = write!(line, ", {} unreadable source", d.unreadable_source);
    }
    line
}

/// The GAE table.
#[must_use]
pub fn gae_table(r: &GaeReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "GAE · run {} · model {} · protocol {} · {} tree{} × {} episode{}",
        r.run,
        r.model,
        r.protocol,
        r.trees,
        if r.trees == 1 { "" } else { "s" },
        r.episodes_per_tree,
        if r.episodes_per_tree == 1 { "" } else { "s" },
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}  {:>8}  {:>9}  {:>8}",
        pad("orientation", 24),
        "episodes",
        "successes",
        "rate"
    );
    for o in Orientation::ALL {
        let label = format!("{} ({})", o.name(), o.group());
        match r.by_orientation.get(o.name()) {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "{}  {:>8}  {:>9}  {:>7.2}%",
                    pad(&label, 24),
                    c.episodes,
                    c.successes,
                    c.rate_pct
                );
            }
            None => {
                let _ = writeln!(out, "{}  {:>8}  {:>9}  {:>8}", pad(&label, 24), 0, 0, "-");
            }
        }
    }
    let _ = writeln!(
        out,
        "{}  {:>8}  {:>9}  {:>8}",
        pad("macro (unweighted mean)", 24),
        "",
        "",
        percent(r.macro_rate_pct)
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", dropped_line(&r.dropped));
    out
}

/// The IAE table: categories with their abilities, abilities outside BESSI, overall.
#[must_use]
pub fn iae_table(r: &IaeReport) -> String {
    const W: usize = 32;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "IAE · run {} · model {} · {} item{} answered",
        r.run,
        r.model,
        r.items,
        if r.items == 1 { "" } else { "s" }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{}  {:>6}  {:>7}  {:>8}",
        pad("category / ability", W),
        "items",
        "correct",
        "accuracy"
    );
    let row = |out: &mut String, name: &str, items: usize, correct: usize, pct: Option<f64>| {
        let _ = writeln!(
            out,
            "{}  {items:>6}  {correct:>7}  {:>8}",
            pad(name, W),
            percent(pct)
        );
    };
    for (category, names) in bessi::CATEGORIES {
        match r.by_category.get(category) {
            Some(c) => {
                let _ = writeln!(
                    out,
                    "{}  {:>6}  {:>7}  {:>7.2}%",
                    pad(category, W),
                    "",
                    "",
                    c.accuracy_pct
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{}  {:>6}  {:>7}  {:>8}",
                    pad(category, W),
                    "",
                    "",
                    "-"
                );
            }
        }
        for name in names.iter() {
            if let Some(c) = r.by_ability.get(*name) {
                row(
                    &mut out,
                    &format!("  {name}"),
                    c.items,
                    c.correct,
                    Some(c.accuracy_pct),
                );
            }
        }
    }
    let others: Vec<_> = r
        .by_ability
        .iter()
        .filter(|(name, _)| !bessi::is_canonical(name))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(out, "{}", pad("not a BESSI ability", W));
        for (name, c) in others {
            row(
                &mut out,
                &format!("  {name}"),
                c.items,
                c.correct,
                Some(c.accuracy_pct),
            );
        }
    }
    row(
        &mut out,
        "overall",
        r.items,
        r.correct,
        r.overall_accuracy_pct,
    );
    let _ = writeln!(out);
    let _ = write!(
        out,
        "dropped: {} invalid answer, {} error",
        r.dropped.invalid_answer, r.dropped.error
    );
    if r.dropped.unreadable_source > 0 {
        let _ = write!(
            out,
            ", {} skipped (unreadable source)",
            r.dropped.unreadable_source
        );
    }
    let _ = writeln!(out);
    out
}

/// The table of either report.
#[must_use]
pub fn table(report: &Report) -> String {
    match report {
        Report::Gae(r) => gae_table(r),
        Report::Iae(r) => iae_table(r),
    }
}

/// A percentage for the tables (`12.50%`), or `-` when none is known.
fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "-".to_owned(), |p| format!("{p:.2}%"))
}
