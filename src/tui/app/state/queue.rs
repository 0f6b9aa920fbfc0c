//! The study queue (`socius study run`): an annotator's items in order; Enter plays the
//! highlighted one (the next unfinished one when the queue is read), resuming it when it is in
//! progress. Leaving a session comes back here, with the states read again.

use super::{Screen, State};
use crate::tui::app::{Cmd, PortError};
use crate::tui::keymap::Action;
use crate::tui::queue::{Queue, QueueRow, QueueSpec, STUDY_META_KEY, play_mode};
use crate::tui::views::Ctx;

impl State {
    /// Show the queue of `spec` and read its states.
    pub(in crate::tui::app) fn show_queue(&mut self, spec: QueueSpec) -> Vec<Cmd> {
        self.annotator = Some(spec.assignment.annotator.clone());
        self.queue = Some(Box::new(Queue::new(spec)));
        self.screen = Screen::Queue;
        self.back.clear();
        self.reload_queue();
        std::mem::take(&mut self.out)
    }

    /// Ask for the queue's states again (after a session, or on return).
    pub(super) fn reload_queue(&mut self) {
        if let Some(q) = &self.queue {
            self.ask(Cmd::LoadQueue(Box::new(q.spec.clone())));
        }
    }

    pub(super) fn queue_loaded(&mut self, rows: Result<Vec<QueueRow>, PortError>) {
        match rows {
            Ok(rows) => {
                if let Some(q) = &mut self.queue {
                    q.set_rows(rows);
                }
            }
            Err(e) => self.store_failed(&e),
        }
    }

    pub(super) fn queue_action(&mut self, action: Action) {
        let Some(q) = &mut self.queue else {
            return;
        };
        let last = q.rows.len().saturating_sub(1);
        match action {
            Action::Up => q.selected = q.selected.saturating_sub(1),
            Action::Down => q.selected = (q.selected + 1).min(last),
            Action::PageUp => q.selected = q.selected.saturating_sub(10),
            Action::PageDown => q.selected = (q.selected + 10).min(last),
            Action::Top => q.selected = 0,
            Action::Bottom => q.selected = last,
            Action::Confirm => self.open_queue_item(),
            _ => {}
        }
    }

    /// Play the highlighted item: resume its session in progress, or start one with the
    /// item's mode, training flag and seed, recording the study id.
    fn open_queue_item(&mut self) {
        let qs = self.lang.queue_strings();
        let Some(q) = &self.queue else {
            return;
        };
        let Some(row) = q.rows.get(q.selected).cloned() else {
            return;
        };
        let study = q.spec.study.clone();
        if row.state == crate::study::ItemState::Done {
            self.status = Some((qs.already_done.to_owned(), false));
            return;
        }
        if let Some(id) = row.resume {
            self.ask(Cmd::Resume(id));
            return;
        }
        let Some(entry) = self
            .library
            .entries
            .iter()
            .position(|e| e.id == row.item.tree && e.playable())
        else {
            let tree = crate::term::clean_field(&row.item.tree).into_owned();
            self.status = Some((format!("{}: {tree}", qs.missing_tree), true));
            return;
        };
        let mut context = self.play_context();
        context.insert(STUDY_META_KEY.into(), study.into());
        self.ask(Cmd::Start {
            entry,
            mode: play_mode(row.item.mode),
            annotator: self.annotator.clone().unwrap_or_default(),
            training: row.item.training,
            fresh: true,
            context,
            seed: Some(row.item.seed),
        });
    }

    pub(super) fn queue_hints(&self) -> Vec<Action> {
        if self.queue.as_ref().is_some_and(|q| q.all_done()) {
            vec![Action::Help, Action::Quit]
        } else {
            vec![Action::Confirm, Action::Down, Action::Help, Action::Quit]
        }
    }

    pub(super) fn queue_header(&self, ctx: &Ctx<'_>) -> String {
        let who = self.annotator.as_deref().unwrap_or("—");
        let study = self
            .queue
            .as_ref()
            .map(|q| crate::term::clean_field(&q.spec.study).into_owned())
            .unwrap_or_default();
        format!(
            " socius · {}: {study} · {}: {}",
            ctx.lang.queue_strings().study,
            ctx.s.annotator,
            crate::term::clean_field(who)
        )
    }
}
