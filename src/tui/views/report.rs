//! The baseline report (`b` in the library): what `socius report baseline` prints, as bar
//! charts — humans and each model side by side per orientation (GAE) and per ability category
//! (IAE), each annotator's own rate against the pooled humans, and every exclusion counted.
//!
//! A bar is filled (`█`) up to the rate; a light part (`░`) runs on to the upper end of its
//! Wilson 95 % interval, so a short bar on few episodes reads as uncertain at a glance.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ctx;
use crate::report::baseline::{Baseline, GaeCell};
use crate::term::{clean_field, truncate, width};
use crate::tui::i18n::orientation_label;
use crate::tui::wrap::wrap;

/// The report screen's state: the report as computed when it was opened, and the scroll.
#[derive(Debug)]
pub struct ReportView {
    pub report: Baseline,
    /// Lines scrolled down from the top.
    pub scroll: usize,
}

/// One bar: who, the rate, its interval and the count behind it.
struct Bar {
    label: String,
    rate: Option<f64>,
    ci: Option<[f64; 2]>,
    count: String,
    style: Style,
}

/// What a bar shows: the rate, its interval and the count behind it.
type Measure = (Option<f64>, Option<[f64; 2]>, String);

/// A rate with nothing beside it.
const fn rate_only(rate: Option<f64>) -> Measure {
    (rate, None, String::new())
}

/// One group's bars: the pooled humans first, then each model in the report's order.
fn side_by_side<'m, S: 'm>(
    humans: (&str, Style, Measure),
    models: impl IntoIterator<Item = (&'m String, &'m S)>,
    measure: impl Fn(&'m String, &'m S) -> Measure,
    style_of: &dyn Fn(&str) -> Style,
) -> Item {
    let (label, style, (rate, ci, count)) = humans;
    let mut bars = vec![Bar {
        label: label.to_owned(),
        rate,
        ci,
        count,
        style,
    }];
    for (m, side) in models {
        let (rate, ci, count) = measure(m, side);
        bars.push(Bar {
            label: clean_field(m).into_owned(),
            rate,
            ci,
            count,
            style: style_of(m),
        });
    }
    Item::Bars(bars)
}

/// Columns for the label, at most: long model names are cut.
const LABEL_MAX: usize = 18;

/// The figures after a bar: the rate and its interval.
fn figures(b: &Bar) -> String {
    match b.rate {
        Some(rate) => {
            let ci =
                b.ci.map(|[lo, hi]| format!("  [{lo:.1}–{hi:.1}]"))
                    .unwrap_or_default();
            format!(" {rate:5.1} %{ci}")
        }
        None => "     —".to_owned(),
    }
}

/// Column widths shared by every bar of the screen, so that bars compare across groups.
struct Layout {
    label_w: usize,
    figures_w: usize,
    bar_w: usize,
    /// What is left for the counts.
    room: usize,
}

impl Layout {
    /// The bar takes what the width leaves (8 to 60 cells); the counts come last and are cut
    /// first when it is narrow.
    fn new<'a>(bars: impl Iterator<Item = &'a Bar> + Clone, w: usize) -> Self {
        let label_w = bars
            .clone()
            .map(|b| width(&b.label).min(LABEL_MAX))
            .max()
            .unwrap_or(0);
        let figures_w = bars.clone().map(|b| width(&figures(b))).max().unwrap_or(0);
        let count_w = bars.map(|b| width(&b.count) + 2).max().unwrap_or(0);
        let fixed = 2 + label_w + 2 + figures_w;
        let bar_w = w.saturating_sub(fixed + count_w).clamp(8, 60);
        Self {
            label_w,
            figures_w,
            bar_w,
            room: w.saturating_sub(fixed + bar_w),
        }
    }
}

/// One bar as a line.
fn bar_line(b: &Bar, l: &Layout, ctx: &Ctx<'_>) -> Line<'static> {
    let t = ctx.theme;
    let label = truncate(&b.label, LABEL_MAX);
    let pad = l.label_w.saturating_sub(width(&label));
    let mut spans = vec![Span::styled(
        format!("  {label}{}  ", " ".repeat(pad)),
        t.text,
    )];
    let (filled, upper) = match b.rate {
        Some(rate) => {
            let filled = cells(rate, l.bar_w);
            (
                filled,
                b.ci.map_or(filled, |[_, hi]| cells(hi, l.bar_w).max(filled)),
            )
        }
        None => (0, 0),
    };
    spans.push(Span::styled("█".repeat(filled), b.style));
    spans.push(Span::styled("░".repeat(upper - filled), b.style));
    spans.push(Span::raw(" ".repeat(l.bar_w - upper)));
    let figures = figures(b);
    let pad = l.figures_w.saturating_sub(width(&figures));
    let style = if b.rate.is_some() { t.text } else { t.muted };
    spans.push(Span::styled(format!("{figures}{}", " ".repeat(pad)), style));
    if !b.count.is_empty() && l.room > 2 {
        spans.push(Span::styled(
            truncate(&format!("  {}", b.count), l.room),
            t.muted,
        ));
    }
    Line::from(spans)
}

/// A line of text, or a group of bars (laid out once all are known).
enum Item {
    Text(Line<'static>),
    Bars(Vec<Bar>),
}

/// How many of `w` cells `pct` (0–100) fills.
fn cells(pct: f64, w: usize) -> usize {
    let w_f = f64::from(u32::try_from(w).unwrap_or(u32::MAX));
    let n = (pct.clamp(0.0, 100.0) / 100.0 * w_f).round();
    // In 0..=w by the clamp above.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "n is a whole number in 0..=w"
    )]
    let n = n as usize;
    n.min(w)
}

fn heading(text: &str, ctx: &Ctx<'_>, out: &mut Vec<Item>) {
    out.push(Item::Text(Line::default()));
    out.push(Item::Text(Line::from(Span::styled(
        text.to_owned(),
        ctx.theme.heading,
    ))));
}

fn group(text: &str, ctx: &Ctx<'_>, out: &mut Vec<Item>) {
    out.push(Item::Text(Line::from(Span::styled(
        format!(" {}", clean_field(text)),
        ctx.theme.accent,
    ))));
}

fn model_styles(ctx: &Ctx<'_>) -> [Style; 3] {
    let t = ctx.theme;
    [t.partial, t.protagonist, t.warning]
}

/// The report as lines for a body `w` columns wide.
#[must_use]
pub fn lines(ctx: &Ctx<'_>, v: &ReportView, w: usize) -> Vec<Line<'static>> {
    let s = ctx.s;
    let t = ctx.theme;
    let r = &v.report;
    let mut out: Vec<Item> = Vec::new();
    let wrap_w = w.saturating_sub(2).max(8);
    let intro = if r.trees.is_empty() {
        s.report_no_trees.to_owned()
    } else {
        s.report_trees.replace("{n}", &r.trees.len().to_string())
    };
    for l in wrap(&intro, wrap_w) {
        out.push(Item::Text(Line::from(Span::styled(
            format!(" {l}"),
            t.text,
        ))));
    }
    for l in wrap(s.report_legend, wrap_w) {
        out.push(Item::Text(Line::from(Span::styled(
            format!(" {l}"),
            t.muted,
        ))));
    }
    let styles = model_styles(ctx);
    let models: Vec<&String> = r.gae.models.keys().chain(r.iae.models.keys()).collect();
    let mut names: Vec<&String> = Vec::new();
    for m in models {
        if !names.contains(&m) {
            names.push(m);
        }
    }
    let style_of = |m: &str| {
        names
            .iter()
            .position(|n| n.as_str() == m)
            .map_or(t.text, |i| styles[i % styles.len()])
    };
    let humans = s.report_humans;

    // GAE, per orientation, then the macro mean.
    heading(s.report_gae, ctx, &mut out);
    let mut orientations: Vec<&String> = r.gae.humans.by_orientation.keys().collect();
    for side in r.gae.models.values() {
        for o in side.by_orientation.keys() {
            if !orientations.contains(&o) {
                orientations.push(o);
            }
        }
    }
    orientations.sort();
    let episodes = |cell: Option<&GaeCell>| -> Measure {
        (
            cell.filter(|c| c.episodes > 0).map(|c| c.rate_pct),
            cell.and_then(|c| c.ci95),
            cell.map_or_else(String::new, |c| {
                s.report_episodes
                    .replace("{k}", &c.successes.to_string())
                    .replace("{n}", &c.episodes.to_string())
            }),
        )
    };
    for o in &orientations {
        group(orientation_label(ctx.lang, o), ctx, &mut out);
        out.push(side_by_side(
            (
                humans,
                t.accent,
                episodes(r.gae.humans.by_orientation.get(*o)),
            ),
            &r.gae.models,
            |_, side| episodes(side.by_orientation.get(*o)),
            &style_of,
        ));
    }
    group(s.report_macro, ctx, &mut out);
    out.push(side_by_side(
        (humans, t.accent, rate_only(r.gae.humans.macro_rate_pct)),
        &r.gae.models,
        |m, side| {
            let delta = r
                .differences
                .get(m)
                .and_then(|d| d.gae_macro)
                // Stored as human − model; shown from the model's side.
                .map(|d| s.report_delta.replace("{d}", &format!("{:+.1}", -d)))
                .unwrap_or_default();
            (side.macro_rate_pct, None, delta)
        },
        &style_of,
    ));

    // IAE, per category, then overall.
    heading(s.report_iae, ctx, &mut out);
    let mut categories: Vec<&String> = r.iae.humans.by_category.keys().collect();
    for side in r.iae.models.values() {
        for c in side.by_category.keys() {
            if !categories.contains(&c) {
                categories.push(c);
            }
        }
    }
    categories.sort();
    for c in &categories {
        group(c, ctx, &mut out);
        out.push(side_by_side(
            (
                humans,
                t.accent,
                rate_only(r.iae.humans.by_category.get(*c).copied()),
            ),
            &r.iae.models,
            |_, side| rate_only(side.by_category.get(*c).copied()),
            &style_of,
        ));
    }
    group(s.report_overall, ctx, &mut out);
    let items = |n: usize| s.report_items.replace("{n}", &n.to_string());
    out.push(side_by_side(
        (
            humans,
            t.accent,
            (r.iae.humans.overall_pct, None, items(r.iae.humans.items)),
        ),
        &r.iae.models,
        |_, side| (side.overall_pct, None, items(side.items)),
        &style_of,
    ));

    // Each annotator against the pooled humans.
    heading(s.report_annotators, ctx, &mut out);
    if r.annotators.is_empty() {
        out.push(Item::Text(Line::from(Span::styled(
            format!("  {}", s.report_none),
            t.muted,
        ))));
    } else {
        group(s.report_gae, ctx, &mut out);
        let bars: Vec<Bar> = r
            .annotators
            .iter()
            .map(|(a, sp)| Bar {
                label: clean_field(a).into_owned(),
                rate: sp.gae_rate_pct,
                ci: sp.gae_ci95,
                count: sp
                    .gae_delta_pct
                    .map(|d| s.report_delta.replace("{d}", &format!("{d:+.1}")))
                    .unwrap_or_default(),
                style: t.accent,
            })
            .collect();
        out.push(Item::Bars(bars));
        group(s.report_iae, ctx, &mut out);
        let bars: Vec<Bar> = r
            .annotators
            .iter()
            .map(|(a, sp)| Bar {
                label: clean_field(a).into_owned(),
                rate: sp.iae_accuracy_pct,
                ci: None,
                count: sp
                    .iae_delta_pct
                    .map(|d| s.report_delta.replace("{d}", &format!("{d:+.1}")))
                    .unwrap_or_default(),
                style: t.accent,
            })
            .collect();
        out.push(Item::Bars(bars));
    }

    // What was left out.
    heading(s.report_excluded, ctx, &mut out);
    let excluded: Vec<String> = r
        .excluded
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(reason, n)| format!("{} {n}", clean_field(reason)))
        .collect();
    let text = if excluded.is_empty() {
        s.report_none.to_owned()
    } else {
        excluded.join(" · ")
    };
    for l in wrap(&text, wrap_w) {
        out.push(Item::Text(Line::from(Span::styled(
            format!("  {l}"),
            t.muted,
        ))));
    }
    let all = out.iter().flat_map(|i| match i {
        Item::Bars(bars) => bars.as_slice(),
        Item::Text(_) => &[],
    });
    let layout = Layout::new(all, w);
    let mut lines = Vec::new();
    for item in out {
        match item {
            Item::Text(line) => lines.push(line),
            Item::Bars(bars) => lines.extend(bars.iter().map(|b| bar_line(b, &layout, ctx))),
        }
    }
    lines
}

/// Draw the report screen.
pub fn render(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, v: &ReportView) {
    let body = lines(ctx, v, usize::from(area.width));
    let max = body.len().saturating_sub(usize::from(area.height));
    let off = u16::try_from(v.scroll.min(max)).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(body).scroll((off, 0)), area);
}
