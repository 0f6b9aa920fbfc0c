//! The baseline report screen: asked for from the library (`b`), computed from the store off
//! the input loop, then scrolled like a transcript.

use super::{Screen, State};
use crate::report::baseline::Baseline;
use crate::tui::app::{Cmd, PortError};
use crate::tui::keymap::Action;
use crate::tui::views::report::ReportView;

impl State {
    pub(super) fn open_report(&mut self) {
        self.status = Some((self.lang.strings().report_loading.to_owned(), false));
        self.ask(Cmd::LoadReport);
    }

    pub(super) fn report_loaded(&mut self, report: Result<Box<Baseline>, PortError>) {
        match report {
            Ok(report) => {
                self.status = None;
                self.push_screen(Screen::Report(Box::new(ReportView {
                    report: *report,
                    scroll: 0,
                })));
            }
            Err(e) => self.store_failed(&e),
        }
    }

    pub(super) fn report_action(&mut self, action: Action, page: usize) {
        let Screen::Report(v) = &mut self.screen else {
            return;
        };
        match action {
            Action::Up => v.scroll = v.scroll.saturating_sub(1),
            Action::Down => v.scroll += 1,
            Action::PageUp => v.scroll = v.scroll.saturating_sub(page),
            Action::PageDown => v.scroll += page,
            Action::Top => v.scroll = 0,
            Action::Bottom => v.scroll = usize::MAX / 4,
            Action::Back | Action::Confirm => self.go_back(),
            _ => {}
        }
    }
}
