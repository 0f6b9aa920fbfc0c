//! What the importer records while converting one tree: repairs (safe fixes it made) and flags
//! (quirks it kept visible because no safe fix exists).

use serde::Serialize;

/// A safe fix the importer made. Each one is listed in the import report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// `#question#` (and a colon right after it) removed from the front of a question.
    QuestionMarker,
    /// An embedded `#skill#<name>` marker removed from a question (its name may supply the
    /// question's abilities when the source's `skill` list is empty).
    SkillMarker,
    /// Extra elements of a question list that are not part of the question, dropped.
    QuestionJunk,
    /// A question split over two list elements, joined back together.
    QuestionJoined,
    /// A stray `:` / `：` at the start of a text, removed.
    LeadingColon,
    /// Control characters (carriage returns, `\x02`, ...) removed from text or names.
    ControlCharacters,
    /// An ability tag mapped onto its BESSI name (case, spacing, punctuation, control
    /// characters standing in for hyphens, near-miss spelling, unique truncation).
    AbilityName,
    /// A truncated ability tag completed from a fragment elsewhere in the choice.
    SplitAbilityName,
    /// An empty ability tag dropped.
    EmptyAbilityTag,
    /// A tag that repeats an earlier one (after normalisation) dropped.
    DuplicateAbility,
    /// Ability names found in `social state` moved to the abilities.
    AbilitiesInSocialState,
    /// A triple written with strings (`['0 -1', 1]`, `[1, 1, 1, '']`) read as three integers.
    StateTriple,
    /// The protagonist's name restored on a candidate utterance or distractor whose speaker
    /// differs only by spacing, case, hyphens or apostrophes, or is the protagonist's alias.
    SpeakerName,
    /// A list of `{role, content}` where one object was expected: the utterance taken.
    ListContent,
    /// A `fork-join: N` authoring artefact dropped.
    ForkJoin,
    /// An empty dialogue line dropped.
    EmptyLine,
    /// An empty distractor object (`{}`) dropped.
    EmptyDistractor,
    /// A node-level `description` kept as a closing narration line labelled
    /// `node_description`.
    NodeDescription,
    /// An `ending confusion` list stored on the choice instead of in its `confusion` list.
    MisplacedEndingConfusion,
    /// A character profile's text under `profile` read as its public profile.
    ProfileKey,
}

impl RepairKind {
    /// The snake-case name used in reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::QuestionMarker => "question_marker",
            Self::SkillMarker => "skill_marker",
            Self::QuestionJunk => "question_junk",
            Self::QuestionJoined => "question_joined",
            Self::LeadingColon => "leading_colon",
            Self::ControlCharacters => "control_characters",
            Self::AbilityName => "ability_name",
            Self::SplitAbilityName => "split_ability_name",
            Self::EmptyAbilityTag => "empty_ability_tag",
            Self::DuplicateAbility => "duplicate_ability",
            Self::AbilitiesInSocialState => "abilities_in_social_state",
            Self::StateTriple => "state_triple",
            Self::SpeakerName => "speaker_name",
            Self::ListContent => "list_content",
            Self::ForkJoin => "fork_join",
            Self::EmptyLine => "empty_line",
            Self::EmptyDistractor => "empty_distractor",
            Self::NodeDescription => "node_description",
            Self::MisplacedEndingConfusion => "misplaced_ending_confusion",
            Self::ProfileKey => "profile_key",
        }
    }
}

/// A quirk kept visible. The kind names of a tree's flags are also written to
/// `provenance.flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// An ending without `goal achievement` (imported as `outcome: unlabelled`).
    UnlabelledEnding,
    /// A beginning or choice node without choices.
    DeadEnd,
    /// A choice point with a single option.
    SingleOption,
    /// A candidate utterance is a state triple (`{"role": "state", "content": "(1, -1, 0)"}`),
    /// kept as its text.
    NotPlayableAsText,
    /// A candidate utterance or distractor with empty text (kept empty).
    EmptyUtterance,
    /// A dialogue line or distractor that is a state triple, kept as text.
    StateAsText,
    /// A dialogue line carrying a `goal achievement` label (the ending's outcome is not taken
    /// from it).
    LabelInDialog,
    /// A dialogue line with an empty speaker, kept as it is.
    EmptySpeaker,
    /// A candidate utterance or distractor spoken by someone other than the protagonist
    /// (another character, or a name the importer cannot safely map).
    SpeakerMismatch,
    /// A `social state` that is neither a clean triple nor safely repairable; dropped.
    MalformedSocialState,
    /// An ending's or character's `state` that is not a triple; dropped.
    MalformedState,
    /// An `ending confusion` (or a line of one) that could not be converted; dropped.
    MalformedEndingConfusion,
    /// A `goal achievement` that is not 0, 1 or 2 (the ending is unlabelled).
    MalformedGoalAchievement,
    /// A character profile without a usable name or of the wrong type; skipped.
    MalformedProfile,
    /// An ability tag that is not a BESSI name, kept as written.
    UnknownAbility,
    /// An IAE item kept for its distractors although the source has no usable question.
    IaeWithoutQuestion,
    /// A skill question without distractors.
    IaeWithoutDistractors,
    /// A second `skill question` on one choice; only the first is kept.
    ExtraSkillQuestion,
    /// The protagonist lacks a `private profile`.
    MissingPrivateProfile,
    /// The protagonist's goal is empty.
    EmptyGoal,
    /// The file name's orientation differs from the protagonist's (the protagonist's wins).
    OrientationMismatch,
    /// A field the importer does not know or that is out of place; ignored.
    IgnoredField,
    /// A choice whose `type` is neither `skill choice` nor `situation choice` (imported as a
    /// skill choice).
    UnknownChoiceType,
    /// Two sources mapped to the same output name; a suffix was added (report only).
    RenamedOutput,
    /// Two characters introduced under one name with different profiles: kept apart by an
    /// `id` (`NAME#2`), so each branch shows the profile introduced on it.
    SharedName,
}

impl FlagKind {
    /// The snake-case name used in reports and `provenance.flags`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::UnlabelledEnding => "unlabelled_ending",
            Self::DeadEnd => "dead_end",
            Self::SingleOption => "single_option",
            Self::NotPlayableAsText => "not_playable_as_text",
            Self::EmptyUtterance => "empty_utterance",
            Self::StateAsText => "state_as_text",
            Self::LabelInDialog => "label_in_dialog",
            Self::EmptySpeaker => "empty_speaker",
            Self::SpeakerMismatch => "speaker_mismatch",
            Self::MalformedSocialState => "malformed_social_state",
            Self::MalformedState => "malformed_state",
            Self::MalformedEndingConfusion => "malformed_ending_confusion",
            Self::MalformedGoalAchievement => "malformed_goal_achievement",
            Self::MalformedProfile => "malformed_profile",
            Self::UnknownAbility => "unknown_ability",
            Self::IaeWithoutQuestion => "iae_without_question",
            Self::IaeWithoutDistractors => "iae_without_distractors",
            Self::ExtraSkillQuestion => "extra_skill_question",
            Self::MissingPrivateProfile => "missing_private_profile",
            Self::EmptyGoal => "empty_goal",
            Self::OrientationMismatch => "orientation_mismatch",
            Self::IgnoredField => "ignored_field",
            Self::UnknownChoiceType => "unknown_choice_type",
            Self::RenamedOutput => "renamed_output",
            Self::SharedName => "shared_name",
        }
    }
}

/// One repair: where (`node` id, empty for tree-level data such as character cards), what kind,
/// and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    pub node: String,
    pub kind: RepairKind,
    pub detail: String,
}

/// One flag: its kind and a human-readable detail (naming the node when there is one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub kind: FlagKind,
    pub detail: String,
}

/// Collects repairs and flags during one conversion.
#[derive(Debug, Default)]
pub(super) struct Notes {
    pub repairs: Vec<Repair>,
    pub flags: Vec<Flag>,
}

impl Notes {
    pub fn repair(&mut self, node: &str, kind: RepairKind, detail: impl Into<String>) {
        self.repairs.push(Repair {
            node: node.to_owned(),
            kind,
            detail: detail.into(),
        });
    }

    pub fn flag(&mut self, kind: FlagKind, detail: impl Into<String>) {
        self.flags.push(Flag {
            kind,
            detail: detail.into(),
        });
    }

    /// Whether a flag of this kind was raised.
    #[cfg(test)]
    pub fn has_flag(&self, kind: FlagKind) -> bool {
        self.flags.iter().any(|f| f.kind == kind)
    }
}

/// Shorten a text for a report detail (at most `max` characters, with an ellipsis).
#[must_use]
pub(super) fn snippet(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}
