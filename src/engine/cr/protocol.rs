//! A protocol file's stages and loop as the stage machine's policy.

use super::policy::{CrPolicy, LoopPolicy, Speaker, StagePolicy};
use crate::script::cr::model::{CrProtocol, Phase, Stage};

fn stage(s: &Stage) -> StagePolicy {
    StagePolicy {
        stage: s.id.into(),
        turn_cap: s.exit.max_turns,
        goal_exit: s.exit.goal_met,
    }
}

impl From<&CrProtocol> for CrPolicy {
    /// The stages in file order by phase, each with its cap and whether a reported goal ends it;
    /// the loop's caps; the client opens with the case's situation.
    fn from(p: &CrProtocol) -> Self {
        let of = |phase: Phase| {
            p.stages()
                .filter(|s| s.id.phase() == phase)
                .map(stage)
                .collect()
        };
        Self {
            identification: of(Phase::Identification),
            restructuring: of(Phase::Restructuring),
            after_verdict: if p.loop_policy.finish_when_no_open_channel {
                LoopPolicy::UntilClosed
            } else {
                LoopPolicy::Revisit
            },
            max_channels: usize::try_from(p.loop_policy.max_channels).unwrap_or(usize::MAX),
            max_turns: Some(p.loop_policy.max_turns),
            opener: Speaker::Client,
        }
    }
}
