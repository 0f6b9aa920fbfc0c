//! The CR screen's panels: the notice, a measure, what stands under the chat (the turn being
//! typed, its tags, a model writing, the safety handoff, the end), and the dialogs (the
//! clinician's overrides, ratings, the distortion picker).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui_textarea::WrapMode;

use super::{distortion_name, role_name, stage_title, strategy_name};
use crate::script::cr::model::Scale;
use crate::term::clean;
use crate::tui::cr::dialogs::{ChannelAction, MeasureInput, Menu, RateDialog, Tagging};
use crate::tui::cr::{CrScreen, Dialog, Phase, Waiting};
use crate::tui::views::{Ctx, centered, clear_for_popup};
use crate::tui::wrap::wrap;
use crate::vocab::CrStage;

/// A role's plain name.
fn role_word(ctx: &Ctx<'_>, s: crate::engine::cr::Speaker) -> &'static str {
    match s {
        crate::engine::cr::Speaker::Therapist => ctx.lang.cr().therapist,
        crate::engine::cr::Speaker::Client => ctx.lang.cr().client,
    }
}

/// `text` wrapped to `w`, each line styled alike.
fn para(out: &mut Vec<Line<'static>>, text: &str, w: usize, style: Style) {
    for l in wrap(&clean(text), w.max(4)) {
        out.push(Line::from(Span::styled(l, style)));
    }
}

/// A bordered box at `rect` with a title and lines.
fn boxed(
    frame: &mut Frame<'_>,
    rect: Rect,
    ctx: &Ctx<'_>,
    title: &str,
    lines: Vec<Line<'static>>,
    border: Style,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), ctx.theme.heading));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines).style(ctx.theme.text), inner);
}

/// A centred pop-up box as wide as `w` (at most the area) and as tall as its lines.
fn popup(
    frame: &mut Frame<'_>,
    area: Rect,
    ctx: &Ctx<'_>,
    title: &str,
    lines: Vec<Line<'static>>,
    w: u16,
) {
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, w, h);
    clear_for_popup(frame, rect);
    boxed(frame, rect, ctx, title, lines, ctx.theme.border_focus);
}

/// The pop-ups' width: up to `want`, within the area.
fn popup_width(area: Rect, want: u16) -> u16 {
    want.min(area.width.saturating_sub(2)).max(20)
}

/// The notice every CR session opens with, in both languages.
pub fn notice(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>) {
    let w = popup_width(area, 76);
    let inner = usize::from(w.saturating_sub(4));
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let mut lines = Vec::new();
    para(&mut lines, crate::tui::i18n::CR_NOTICE_EN, inner, t.text);
    lines.push(Line::default());
    para(&mut lines, crate::tui::i18n::CR_NOTICE_ZH, inner, t.text);
    lines.push(Line::default());
    para(&mut lines, c.notice_keys, inner, t.accent);
    popup(frame, area, ctx, c.notice_title, lines, w);
}

/// `[#####.....] 50 %` for a value on a measure's range.
fn bar(value: Option<i64>, min: i64, max: i64, cells: usize) -> String {
    let filled = value.map_or(0, |v| {
        let span = (max - min).max(1);
        usize::try_from((v - min) * i64::try_from(cells).unwrap_or(0) / span).unwrap_or(0)
    });
    format!(
        "[{}{}]",
        "#".repeat(filled.min(cells)),
        ".".repeat(cells.saturating_sub(filled))
    )
}

/// A pre or post measure: the thought, the question, the value typed, the anchors.
pub fn measure(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, cr: &CrScreen, m: &MeasureInput) {
    let Some((measure, _)) = cr.measure() else {
        return;
    };
    let w = popup_width(area, 76);
    let inner = usize::from(w.saturating_sub(4));
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let lang = ctx.lang.language();
    let mut lines = Vec::new();
    if !cr.case.target_thought.is_empty() {
        para(
            &mut lines,
            &format!("{}{}“{}”", c.thought, ctx.s.colon, cr.case.target_thought),
            inner,
            t.accent,
        );
        lines.push(Line::default());
    }
    para(&mut lines, measure.question.get(lang), inner, t.text);
    lines.push(Line::default());
    let value = m.value(measure);
    let unit = match measure.unit {
        crate::script::cr::model::Unit::Percent => " %",
        crate::script::cr::model::Unit::Points => "",
    };
    let shown = if m.input.is_empty() {
        "—"
    } else {
        m.input.as_str()
    };
    let cells = inner.saturating_sub(12).min(40);
    lines.push(Line::from(vec![
        Span::styled(bar(value, measure.min, measure.max, cells), t.accent),
        Span::styled(format!(" {shown}{unit}"), t.heading),
    ]));
    let anchors: Vec<String> = measure
        .anchors
        .iter()
        .map(|a| format!("{} {}", a.value, a.label.get(lang)))
        .collect();
    para(&mut lines, &anchors.join(" · "), inner, t.muted);
    lines.push(Line::default());
    para(&mut lines, c.measure_keys, inner, t.accent);
    let (when, n) = if m.post {
        (c.measure_post, cr.protocol.measures.len())
    } else {
        (c.measure_pre, cr.protocol.measures.len())
    };
    let title = format!(
        "{when} ({}/{n}) · {}",
        m.index + 1,
        clean(measure.name.get(lang))
    );
    popup(frame, area, ctx, &title, lines, w);
}

/// The strategy keys, as `r Restating · s Summarizing · …`.
fn legend(ctx: &Ctx<'_>, cr: &CrScreen) -> String {
    cr.protocol
        .all_strategies()
        .map(|(_, s)| {
            // Kept together on a line (a no-break space).
            format!("{}\u{a0}{}", s.key, s.name.get(ctx.lang.language()))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn tagging_lines(ctx: &Ctx<'_>, cr: &CrScreen, tg: &Tagging, w: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let mut out = Vec::new();
    para(&mut out, &legend(ctx, cr), w, t.muted);
    for (i, (s, tag)) in tg.sentences.iter().zip(&tg.tags).enumerate() {
        let here = i == tg.focus;
        let tag = tag.as_deref().map_or_else(
            || "‹—›".to_owned(),
            |id| format!("‹{}›", strategy_name(ctx, &cr.protocol, id)),
        );
        let lead = format!("{}{}. ", if here { "▶ " } else { "  " }, i + 1);
        let lw = crate::tui::wrap::width(&lead);
        let style = if here { t.selection } else { t.text };
        for (k, l) in wrap(&format!("{} {tag}", clean(s)), w.saturating_sub(lw).max(4))
            .into_iter()
            .enumerate()
        {
            let head = if k == 0 { lead.clone() } else { " ".repeat(lw) };
            out.push(Line::from(Span::styled(format!("{head}{l}"), style)));
        }
    }
    let found = if tg.distortions.is_empty() {
        c.none.to_owned()
    } else {
        tg.distortions
            .iter()
            .map(|d| distortion_name(ctx, &cr.protocol, d))
            .collect::<Vec<_>>()
            .join(", ")
    };
    para(
        &mut out,
        &format!(
            "{}{}{} · {}{}{found}",
            c.goal_met,
            ctx.s.colon,
            if tg.goal_met { c.yes } else { c.no },
            c.distortions,
            ctx.s.colon
        ),
        w,
        t.accent,
    );
    para(&mut out, c.tag_keys, w, t.muted);
    out
}

fn handoff_lines(ctx: &Ctx<'_>, cr: &CrScreen, w: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let mut out = Vec::new();
    let safety = &cr.protocol.safety;
    // The client's language first (it is their crisis), else any.
    let handoff = safety
        .handoff(cr.case.language)
        .filter(|h| !h.text.trim().is_empty())
        .or_else(|| safety.handoff.first());
    if let Some(h) = handoff {
        para(&mut out, &h.text, w, t.warning);
        if !h.resources.is_empty() {
            out.push(Line::default());
        }
        for r in &h.resources {
            for (i, l) in wrap(&clean(r), w.saturating_sub(2).max(4))
                .into_iter()
                .enumerate()
            {
                let lead = if i == 0 { "• " } else { "  " };
                out.push(Line::from(Span::styled(format!("{lead}{l}"), t.text)));
            }
        }
    }
    out.push(Line::default());
    para(&mut out, c.handoff_keys, w, t.accent);
    out
}

/// What the bottom panel shows, as lines (with a title and a border style), for a width.
fn bottom_content(
    ctx: &Ctx<'_>,
    cr: &CrScreen,
    w: usize,
) -> Option<(String, Vec<Line<'static>>, Style)> {
    let t = ctx.theme;
    let c = ctx.lang.cr();
    if cr.phase == Phase::Over {
        let mut lines = Vec::new();
        para(&mut lines, c.over_hint, w, t.muted);
        return Some((String::new(), lines, t.border));
    }
    match cr.waiting() {
        Waiting::Human(_) => cr.tagging.as_ref().map(|tg| {
            let lines = tagging_lines(ctx, cr, tg, w);
            (c.tag_title.to_owned(), lines, t.border_focus)
        }),
        Waiting::Model(s) => {
            let mut lines = Vec::new();
            let model = match cr.roles.of(s) {
                crate::tui::cr::RoleKind::Model(m) => m.clone(),
                crate::tui::cr::RoleKind::Human => String::new(),
            };
            let who = role_name(ctx, cr, s);
            let retry = cr.stream.as_ref().is_some_and(|x| x.retry.is_some());
            let text = if retry {
                c.model_retry.to_owned()
            } else {
                format!(
                    "{} {}",
                    c.model_writing
                        .replace("{role}", &who)
                        .replace("{model}", &clean(&model)),
                    c.model_cancel
                )
            };
            para(&mut lines, &text, w, t.muted);
            Some((String::new(), lines, t.border))
        }
        Waiting::Handoff => Some((
            c.handoff_title.to_owned(),
            handoff_lines(ctx, cr, w),
            t.warning,
        )),
        Waiting::Nothing => {
            let mut lines = Vec::new();
            para(&mut lines, c.starting, w, t.muted);
            Some((String::new(), lines, t.border))
        }
    }
}

/// Lines the editor takes (its text wrapped), within 1–6.
fn editor_rows(cr: &CrScreen, w: usize) -> usize {
    cr.editor
        .lines()
        .iter()
        .map(|l| wrap(l, w.max(4)).len())
        .sum::<usize>()
        .clamp(1, 6)
}

/// The bottom panel's height at width `w` (borders included).
#[must_use]
pub fn bottom_height(ctx: &Ctx<'_>, cr: &CrScreen, w: u16) -> u16 {
    let inner = usize::from(w.saturating_sub(2));
    let rows = match (cr.waiting(), &cr.tagging) {
        (Waiting::Human(_), None) if cr.phase == Phase::Dialogue => editor_rows(cr, inner) + 2,
        _ => match bottom_content(ctx, cr, inner) {
            Some((title, lines, _)) if title.is_empty() && lines.len() <= 2 => lines.len(),
            Some((_, lines, _)) => lines.len() + 2,
            None => 0,
        },
    };
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Draw the bottom panel.
pub fn bottom(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, cr: &CrScreen) {
    if area.height == 0 {
        return;
    }
    let t = ctx.theme;
    let c = ctx.lang.cr();
    if let (Waiting::Human(s), None, Phase::Dialogue) = (cr.waiting(), &cr.tagging, &cr.phase) {
        let mut editor = cr.editor.clone();
        editor.set_wrap_mode(WrapMode::WordOrGlyph);
        editor.set_style(t.text);
        editor.set_cursor_line_style(Style::default());
        editor.set_cursor_style(t.selection);
        editor.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.border_focus)
                .title(Span::styled(
                    format!(" {} ", c.your_turn.replace("{role}", role_word(ctx, s))),
                    t.heading,
                ))
                .title_bottom(Span::styled(format!(" {} ", c.input_keys), t.muted)),
        );
        frame.render_widget(&editor, area);
        return;
    }
    let inner = usize::from(area.width.saturating_sub(2));
    let Some((title, lines, border)) = bottom_content(ctx, cr, inner) else {
        return;
    };
    if title.is_empty() && lines.len() <= 2 {
        frame.render_widget(Paragraph::new(lines), area);
    } else {
        boxed(frame, area, ctx, &title, lines, border);
    }
}

fn menu_lines(ctx: &Ctx<'_>, cr: &CrScreen, menu: &Menu, w: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let p = &cr.protocol;
    let list = |items: Vec<String>, focus: usize| -> Vec<Line<'static>> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let here = i == focus;
            let number = if i < 9 {
                format!("{}. ", i + 1)
            } else {
                "   ".to_owned()
            };
            let text = format!("{}{number}{}", if here { "▶ " } else { "  " }, clean(item));
            let style = if here { t.selection } else { t.text };
            for l in wrap(&text, w.max(4)) {
                out.push(Line::from(Span::styled(l, style)));
            }
        }
        out
    };
    let mut out = match menu {
        Menu::Root { focus } => list(
            vec![
                c.set_stage.to_owned(),
                c.open_channel.to_owned(),
                c.close_channel.to_owned(),
                c.drop_channel.to_owned(),
                c.finish.to_owned(),
            ],
            *focus,
        ),
        Menu::Stages { focus } => list(
            p.stages()
                .map(|s| stage_title(ctx, p, &CrStage::from(s.id)))
                .collect(),
            *focus,
        ),
        Menu::Channels {
            action,
            options,
            focus,
        } => {
            let head = match action {
                ChannelAction::Open => c.open_channel,
                ChannelAction::Close => c.close_channel,
                ChannelAction::Drop => c.drop_channel,
            };
            let mut out = vec![Line::from(Span::styled(head.to_owned(), t.heading))];
            out.extend(list(
                options.iter().map(|d| distortion_name(ctx, p, d)).collect(),
                *focus,
            ));
            out
        }
        Menu::ConfirmFinish => {
            let mut out = Vec::new();
            para(&mut out, c.finish_confirm, w, t.warning);
            return out;
        }
    };
    out.push(Line::default());
    para(&mut out, c.menu_keys, w, t.muted);
    out
}

fn rate_lines(
    ctx: &Ctx<'_>,
    cr: &CrScreen,
    r: &RateDialog,
    scale: &Scale,
    w: usize,
) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let lang = ctx.lang.language();
    let mut out = Vec::new();
    if let Some(index) = r.about() {
        let text = crate::tui::cr::chat::turns(&cr.chat)
            .find(|x| x.index == index)
            .map_or(String::new(), |x| x.text.clone());
        let excerpt = crate::term::truncate(&clean(&text).replace('\n', " "), w * 2);
        para(
            &mut out,
            &format!("#{index} {}{}{excerpt}", c.therapist, ctx.s.colon),
            w,
            t.muted,
        );
        out.push(Line::default());
    }
    let rubric = &cr.protocol.rubric;
    let label_of = |v: i64| {
        scale
            .anchors
            .iter()
            .find(|a| a.value == v)
            .map_or(String::new(), |a| a.label.get(lang).to_owned())
    };
    let name_w = rubric
        .items
        .iter()
        .map(|i| crate::tui::wrap::width(i.name.get(lang)))
        .max()
        .unwrap_or(0);
    for (i, (item, v)) in rubric.items.iter().zip(&r.values).enumerate() {
        let here = i == r.item;
        let value = v.map_or_else(|| "[ ]".to_owned(), |v| format!("[{v}] {}", label_of(v)));
        let line = format!(
            "{}{} {value}",
            if here { "▶ " } else { "  " },
            crate::term::pad(&clean(item.name.get(lang)), name_w)
        );
        let style = if here { t.selection } else { t.text };
        out.push(Line::from(Span::styled(
            crate::term::truncate(&line, w),
            style,
        )));
    }
    if let Some(item) = rubric.items.get(r.item) {
        out.push(Line::default());
        para(&mut out, item.question.get(lang), w, t.text);
    }
    let anchors: Vec<String> = scale
        .anchors
        .iter()
        .map(|a| format!("{} {}", a.value, a.label.get(lang)))
        .collect();
    para(&mut out, &anchors.join(" · "), w, t.muted);
    out.push(Line::default());
    para(&mut out, c.rate_keys, w, t.accent);
    out
}

fn picker_lines(
    ctx: &Ctx<'_>,
    cr: &CrScreen,
    tg: &Tagging,
    row: usize,
    w: usize,
) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let c = ctx.lang.cr();
    let lang = ctx.lang.language();
    let mut out = Vec::new();
    for (i, d) in cr.protocol.distortions.iter().enumerate() {
        let on = tg.distortions.contains(&d.id);
        let here = i == row;
        let text = format!(
            "{}[{}] {}",
            if here { "▶ " } else { "  " },
            if on { "x" } else { " " },
            clean(d.name.get(lang))
        );
        let style = if here { t.selection } else { t.text };
        out.push(Line::from(Span::styled(
            crate::term::truncate(&text, w),
            style,
        )));
    }
    if let Some(d) = cr.protocol.distortions.get(row) {
        out.push(Line::default());
        para(&mut out, d.definition.get(lang), w, t.muted);
    }
    out.push(Line::default());
    para(&mut out, c.distortions_keys, w, t.accent);
    out
}

/// The dialog over the dialogue, if one is open.
pub fn dialog(frame: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, cr: &CrScreen) {
    let c = ctx.lang.cr();
    let w = popup_width(area, 64);
    let inner = usize::from(w.saturating_sub(4));
    if let Some(tg) = &cr.tagging
        && let Some(row) = tg.picker
    {
        let lines = picker_lines(ctx, cr, tg, row, inner);
        popup(frame, area, ctx, c.distortions_title, lines, w);
        return;
    }
    match &cr.dialog {
        None => {}
        Some(Dialog::Override(menu)) => {
            let lines = menu_lines(ctx, cr, menu, inner);
            popup(frame, area, ctx, c.override_title, lines, w);
        }
        Some(Dialog::Rate(r)) => {
            let scale = &cr.protocol.rubric.scale;
            let lines = rate_lines(ctx, cr, r, scale, inner);
            let title = if r.about().is_some() {
                c.rate_title
            } else {
                c.rate_dialogue
            };
            popup(frame, area, ctx, title, lines, w);
        }
    }
}
