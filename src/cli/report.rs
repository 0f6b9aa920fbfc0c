//! `socius report baseline`: humans against models on the same world trees.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{CmdResult, Failure, Globals, StoreArg};
use crate::report::baseline::{Baseline, baseline, load};
use crate::store::Store;

#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Human baseline against each model: GAE per orientation (Wilson 95 % intervals), IAE per
    /// ability and category, differences, per-annotator spread, exclusions — same trees only
    Baseline(BaselineArgs),
}

impl ReportCommand {
    #[must_use]
    pub const fn store(&self) -> &StoreArg {
        match self {
            Self::Baseline(a) => &a.store,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Csv,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The report as one JSON object
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// A Markdown report, or CSV rows (side, metric, key, …)
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Only the trees of this study
    #[arg(long, value_name = "S")]
    pub study: Option<String>,
}

/// Run `socius report …`.
///
/// # Errors
/// A store that cannot be read, or a `--study` that is not registered.
pub fn run(globals: &Globals, cmd: &ReportCommand) -> CmdResult {
    match cmd {
        ReportCommand::Baseline(args) => run_baseline(globals, args),
    }
}

fn run_baseline(globals: &Globals, args: &BaselineArgs) -> CmdResult {
    // A study's trees (`socius study new` registered it beside the store, or give its folder).
    let trees: Option<Vec<String>> = match &args.study {
        Some(study) => {
            let store_dir = globals.store_dir();
            let studies = store_dir.parent().map_or_else(
                || std::path::PathBuf::from(super::study::DEFAULT_STUDIES),
                |p| p.join(super::study::DEFAULT_STUDIES),
            );
            let dir = crate::study::record::locate(study, &studies);
            let registered = crate::study::record::open(&dir)
                .map_err(|e| Failure::Error(format!("--study {study}: {e}")))?;
            Some(registered.plan.trees.iter().map(|t| t.id.clone()).collect())
        }
        None => None,
    };
    let dir = globals.store_dir();
    let store = Store::open_for_reading(&dir)?;
    if store.reads_a_copy() {
        errln!(
            "socius: note: the store at {} cannot be written; reading a temporary copy of it",
            dir.display()
        );
    }
    let sessions = load(&store)?;
    let report = baseline(&sessions, trees.as_deref());
    if args.json {
        outln!("{}", crate::term::to_json(&report)?);
    } else {
        match args.format {
            Some(ReportFormat::Md) => out!("{}", markdown(&report)),
            Some(ReportFormat::Csv) => out!("{}", csv(&report)),
            None => out!("{}", table(&report)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

fn ci(v: Option<[f64; 2]>) -> String {
    v.map_or_else(|| "–".to_owned(), |[lo, hi]| format!("{lo:.2}–{hi:.2}"))
}

/// Rows of one table: a header and cells, as plain strings.
struct Table {
    title: String,
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn tables(r: &Baseline) -> Vec<Table> {
    let mut out = Vec::new();
    let models: Vec<&String> = r.gae.models.keys().chain(r.iae.models.keys()).collect();
    let mut models: Vec<&String> = models;
    models.sort();
    models.dedup();

    // GAE per orientation.
    let mut head = vec![
        "orientation".to_owned(),
        "annotators".to_owned(),
        "episodes".to_owned(),
        "humans %".to_owned(),
        "95% CI".to_owned(),
    ];
    for m in &models {
        head.push(format!("{m} %"));
        head.push(format!("{m} 95% CI"));
        head.push(format!("Δ {m}"));
    }
    let mut orientations: Vec<&String> = r.gae.humans.by_orientation.keys().collect();
    for g in r.gae.models.values() {
        orientations.extend(g.by_orientation.keys());
    }
    orientations.sort_by_key(|o| {
        crate::script::model::Orientation::ALL
            .iter()
            .position(|x| x.name() == o.as_str())
    });
    orientations.dedup();
    let mut rows = Vec::new();
    for o in orientations {
        let h = r.gae.humans.by_orientation.get(o);
        let mut row = vec![
            o.clone(),
            h.and_then(|c| c.annotators).unwrap_or(0).to_string(),
            h.map_or(0, |c| c.episodes).to_string(),
            num(h.map(|c| c.rate_pct)),
            ci(h.and_then(|c| c.ci95)),
        ];
        for m in &models {
            let c = r.gae.models.get(*m).and_then(|g| g.by_orientation.get(o));
            row.push(num(c.map(|c| c.rate_pct)));
            row.push(ci(c.and_then(|c| c.ci95)));
            row.push(num(r
                .differences
                .get(*m)
                .and_then(|d| d.gae_by_orientation.get(o).copied())));
        }
        rows.push(row);
    }
    let mut row = vec![
        "macro mean".to_owned(),
        String::new(),
        String::new(),
        num(r.gae.humans.macro_rate_pct),
        String::new(),
    ];
    for m in &models {
        row.push(num(r.gae.models.get(*m).and_then(|g| g.macro_rate_pct)));
        row.push(String::new());
        row.push(num(r.differences.get(*m).and_then(|d| d.gae_macro)));
    }
    rows.push(row);
    out.push(Table {
        title: "GAE success rate per orientation".to_owned(),
        head,
        rows,
    });

    // IAE per ability, category, overall.
    let mut head = vec![
        "ability / category".to_owned(),
        "items".to_owned(),
        "humans %".to_owned(),
        "95% CI".to_owned(),
    ];
    for m in &models {
        head.push(format!("{m} %"));
        head.push(format!("Δ {m}"));
    }
    let mut keys: Vec<&String> = r.iae.humans.by_ability.keys().collect();
    for i in r.iae.models.values() {
        keys.extend(i.by_ability.keys());
    }
    keys.sort();
    keys.dedup();
    let mut rows = Vec::new();
    for k in keys {
        let h = r.iae.humans.by_ability.get(k);
        let mut row = vec![
            k.clone(),
            h.map_or(0, |c| c.items).to_string(),
            num(h.map(|c| c.accuracy_pct)),
            ci(h.and_then(|c| c.ci95)),
        ];
        for m in &models {
            let c = r.iae.models.get(*m).and_then(|i| i.by_ability.get(k));
            row.push(num(c.map(|c| c.accuracy_pct)));
            row.push(num(r
                .differences
                .get(*m)
                .and_then(|d| d.iae_by_ability.get(k).copied())));
        }
        rows.push(row);
    }
    let mut cats: Vec<&String> = r.iae.humans.by_category.keys().collect();
    for i in r.iae.models.values() {
        cats.extend(i.by_category.keys());
    }
    cats.sort();
    cats.dedup();
    for k in cats {
        let mut row = vec![
            format!("[{k}]"),
            String::new(),
            num(r.iae.humans.by_category.get(k).copied()),
            String::new(),
        ];
        for m in &models {
            row.push(num(r
                .iae
                .models
                .get(*m)
                .and_then(|i| i.by_category.get(k).copied())));
            row.push(num(r
                .differences
                .get(*m)
                .and_then(|d| d.iae_by_category.get(k).copied())));
        }
        rows.push(row);
    }
    let mut row = vec![
        "overall".to_owned(),
        r.iae.humans.items.to_string(),
        num(r.iae.humans.overall_pct),
        String::new(),
    ];
    for m in &models {
        row.push(num(r.iae.models.get(*m).and_then(|i| i.overall_pct)));
        row.push(num(r.differences.get(*m).and_then(|d| d.iae_overall)));
    }
    rows.push(row);
    out.push(Table {
        title: "IAE accuracy".to_owned(),
        head,
        rows,
    });

    // Annotators.
    let rows = r
        .annotators
        .iter()
        .map(|(a, s)| {
            vec![
                a.clone(),
                s.gae_episodes.to_string(),
                num(s.gae_rate_pct),
                ci(s.gae_ci95),
                num(s.gae_delta_pct),
                s.iae_items.to_string(),
                num(s.iae_accuracy_pct),
                num(s.iae_delta_pct),
            ]
        })
        .collect();
    out.push(Table {
        title: "Per annotator (Δ = annotator − all humans)".to_owned(),
        head: [
            "annotator",
            "episodes",
            "GAE %",
            "95% CI",
            "Δ GAE",
            "items",
            "IAE %",
            "Δ IAE",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows,
    });

    out.push(Table {
        title: "Excluded".to_owned(),
        head: vec!["reason".to_owned(), "count".to_owned()],
        rows: r
            .excluded
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect(),
    });
    out
}

fn trees_line(r: &Baseline) -> String {
    if r.trees.is_empty() {
        "Trees: none was played by both humans and a model.".to_owned()
    } else {
        format!(
            "Trees played by both humans and a model ({}): {}",
            r.trees.len(),
            r.trees.join(", ")
        )
    }
}

fn table(r: &Baseline) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", trees_line(r));
    for t in tables(r) {
        let widths: Vec<usize> = (0..t.head.len())
            .map(|i| {
                t.rows
                    .iter()
                    .map(|row| crate::term::width(&row[i]))
                    .chain([crate::term::width(&t.head[i])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| crate::term::pad(c, *w))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let _ = writeln!(s, "\n{}", t.title);
        let _ = writeln!(s, "{}", line(&t.head));
        for row in &t.rows {
            let _ = writeln!(s, "{}", line(row));
        }
    }
    s
}

fn markdown(r: &Baseline) -> String {
    let mut s = String::from("# Human baseline\n\n");
    let _ = writeln!(s, "{}", trees_line(r));
    for t in tables(r) {
        let esc = |c: &String| c.replace('|', "\\|");
        let _ = writeln!(s, "\n## {}\n", t.title);
        let _ = writeln!(
            s,
            "| {} |",
            t.head.iter().map(esc).collect::<Vec<_>>().join(" | ")
        );
        let _ = writeln!(s, "|{}", "---|".repeat(t.head.len()));
        for row in &t.rows {
            let _ = writeln!(
                s,
                "| {} |",
                row.iter().map(esc).collect::<Vec<_>>().join(" | ")
            );
        }
    }
    s
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// One row per (side, metric, key): `side,metric,key,n,successes,value_pct,ci_lo,ci_hi`.
fn csv(r: &Baseline) -> String {
    let mut s = String::from("side,metric,key,n,successes,value_pct,ci_lo,ci_hi\n");
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v}"));
    let mut row = |side: &str,
                   metric: &str,
                   key: &str,
                   n: Option<usize>,
                   k: Option<usize>,
                   v: Option<f64>,
                   c: Option<[f64; 2]>| {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{}",
            csv_field(side),
            metric,
            csv_field(key),
            n.map_or_else(String::new, |n| n.to_string()),
            k.map_or_else(String::new, |k| k.to_string()),
            opt(v),
            opt(c.map(|c| c[0])),
            opt(c.map(|c| c[1])),
        );
    };
    let gae_sides = std::iter::once(("humans".to_owned(), &r.gae.humans))
        .chain(r.gae.models.iter().map(|(m, g)| (format!("model:{m}"), g)));
    for (side, g) in gae_sides {
        for (o, c) in &g.by_orientation {
            row(
                &side,
                "gae_rate",
                o,
                Some(c.episodes),
                Some(c.successes),
                Some(c.rate_pct),
                c.ci95,
            );
        }
        row(&side, "gae_macro", "", None, None, g.macro_rate_pct, None);
    }
    let iae_sides = std::iter::once(("humans".to_owned(), &r.iae.humans))
        .chain(r.iae.models.iter().map(|(m, i)| (format!("model:{m}"), i)));
    for (side, i) in iae_sides {
        for (a, c) in &i.by_ability {
            row(
                &side,
                "iae_ability",
                a,
                Some(c.items),
                Some(c.correct),
                Some(c.accuracy_pct),
                c.ci95,
            );
        }
        for (k, v) in &i.by_category {
            row(&side, "iae_category", k, None, None, Some(*v), None);
        }
        row(
            &side,
            "iae_overall",
            "",
            Some(i.items),
            None,
            i.overall_pct,
            None,
        );
    }
    for (m, d) in &r.differences {
        let side = format!("difference:{m}");
        for (o, v) in &d.gae_by_orientation {
            row(&side, "gae_rate", o, None, None, Some(*v), None);
        }
        row(&side, "gae_macro", "", None, None, d.gae_macro, None);
        for (a, v) in &d.iae_by_ability {
            row(&side, "iae_ability", a, None, None, Some(*v), None);
        }
        for (k, v) in &d.iae_by_category {
            row(&side, "iae_category", k, None, None, Some(*v), None);
        }
        row(&side, "iae_overall", "", None, None, d.iae_overall, None);
    }
    for (a, sp) in &r.annotators {
        let side = format!("annotator:{a}");
        row(
            &side,
            "gae_rate",
            "",
            Some(sp.gae_episodes),
            Some(sp.gae_successes),
            sp.gae_rate_pct,
            sp.gae_ci95,
        );
        row(
            &side,
            "iae_overall",
            "",
            Some(sp.iae_items),
            Some(sp.iae_correct),
            sp.iae_accuracy_pct,
            None,
        );
    }
    for (reason, n) in &r.excluded {
        row("excluded", "count", reason, Some(*n), None, None, None);
    }
    for t in &r.trees {
        row("trees", "tree", t, None, None, None, None);
    }
    s
}
