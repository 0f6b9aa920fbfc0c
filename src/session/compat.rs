//! Records written by earlier versions, read as this version writes them. Nothing stored is
//! rewritten: the mapping happens when events are read, imported or merged.
//!
//! - **IAE answers by screen position.** Before the single session driver, a person's wrong
//!   IAE answer was stored as `option_id: "other-N"` (N the screen position), while the options
//!   had been presented — and a model's answers stored — as `distractor-k`. Such an answer is
//!   read as the id of the option at its `option_index` in the session's preceding
//!   `options_presented`, so exports show which distractor was picked.

use super::event::{Event, EventBody};
use super::vocab::{OptionId, OptionKind};

/// Whether an option id is the old screen-position form (`other-<digits>`).
fn is_legacy_position(id: &OptionId) -> bool {
    matches!(id.kind(), OptionKind::LegacyPosition(_))
}

/// Map every legacy IAE answer of a session's log (in `seq` order, from its start) to the id
/// it was presented under. Returns how many were mapped.
pub fn upgrade_legacy_answers(events: &mut [Event]) -> usize {
    let mut mapped = 0;
    let mut shown: Option<usize> = None;
    for i in 0..events.len() {
        match &events[i].body {
            EventBody::OptionsPresented(_) => shown = Some(i),
            EventBody::IaeAnswer(a) if is_legacy_position(&a.option_id) => {
                let index = a.option_index as usize;
                let id = shown.and_then(|s| match &events[s].body {
                    EventBody::OptionsPresented(o) => o.options.get(index).map(|o| o.id.clone()),
                    _ => None,
                });
                if let (Some(id), EventBody::IaeAnswer(a)) = (id, &mut events[i].body) {
                    a.option_id = id;
                    mapped += 1;
                }
            }
            _ => {}
        }
    }
    mapped
}

/// Whether two events are the same, reading a legacy IAE answer (`other-N`) as equal to the
/// same answer under its presented id.
#[must_use]
pub fn same_event(a: &Event, b: &Event) -> bool {
    if a == b {
        return true;
    }
    match (&a.body, &b.body) {
        (EventBody::IaeAnswer(x), EventBody::IaeAnswer(y))
            if is_legacy_position(&x.option_id) || is_legacy_position(&y.option_id) =>
        {
            let mut x = a.clone();
            let mut y = b.clone();
            if let (EventBody::IaeAnswer(xa), EventBody::IaeAnswer(ya)) = (&mut x.body, &mut y.body)
            {
                xa.option_id = OptionId::default();
                ya.option_id = OptionId::default();
            }
            x == y
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{IaeAnswer, OptionsPresented, PresentedOption};

    fn event(seq: u64, body: EventBody) -> Event {
        Event {
            seq,
            at: chrono::DateTime::UNIX_EPOCH,
            schema: 1,
            body,
        }
    }

    fn shown(ids: &[&str]) -> EventBody {
        EventBody::OptionsPresented(OptionsPresented {
            node: Some("n".into()),
            prompt: Some("q".into()),
            options: ids
                .iter()
                .map(|id| PresentedOption {
                    id: (*id).into(),
                    text: format!("text of {id}"),
                })
                .collect(),
        })
    }

    fn answer(index: u32, id: &str) -> EventBody {
        EventBody::IaeAnswer(IaeAnswer {
            item: "n/0".into(),
            ability: None,
            option_index: index,
            option_id: id.into(),
            correct: Some(id == "candidate"),
            latency_ms: 5,
            options_scrolled: false,
        })
    }

    #[test]
    fn legacy_positions_become_presented_ids() {
        let mut log = vec![
            event(0, shown(&["distractor-2", "candidate", "distractor-1"])),
            event(1, answer(2, "other-2")),
            event(2, shown(&["distractor-3", "distractor-1", "candidate"])),
            event(3, answer(2, "candidate")),
            event(4, shown(&["distractor-1", "candidate"])),
            event(5, answer(0, "other-0")),
            event(6, answer(7, "other-7")),
        ];
        assert_eq!(upgrade_legacy_answers(&mut log), 2);
        let ids: Vec<&str> = log
            .iter()
            .filter_map(|e| match &e.body {
                EventBody::IaeAnswer(a) => Some(a.option_id.as_str()),
                _ => None,
            })
            .collect();
        // An index past the list stays as it was (nothing is invented).
        assert_eq!(
            ids,
            ["distractor-1", "candidate", "distractor-1", "other-7"]
        );
        assert!(!is_legacy_position(&OptionId::from("other-")));
        assert!(!is_legacy_position(&OptionId::from("other-x")));
    }

    #[test]
    fn a_legacy_answer_is_the_same_event_as_its_upgrade() {
        let old = event(1, answer(2, "other-2"));
        let new = event(1, answer(2, "distractor-1"));
        assert!(same_event(&old, &new));
        assert!(same_event(&new, &old));
        assert!(!same_event(&event(1, answer(1, "other-1")), &new));
        assert!(!same_event(&event(1, answer(2, "distractor-3")), &new));
    }
}
