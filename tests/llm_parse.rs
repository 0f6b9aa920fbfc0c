//! Reply parsing: a table of realistic replies (including the messy ones small models write),
//! typed failures, and property tests that the parser never panics.

use proptest::prelude::*;
use socius::agent::llm::parse::{
    Choices, Method, ParseFailure, correction_message, letter_list, parse_choice,
};
use socius::script::model::Language;

const OPTS: [&str; 4] = [
    "Sure, I'll help you carry the boxes.",
    "Sorry, I'm busy today.",
    "Ask someone else, please.",
    "Let's split the work in half.",
];

const OPTS_ZH: [&str; 4] = [
    "好的，我来帮你搬箱子。",
    "抱歉，我今天很忙。",
    "你去找别人吧。",
    "我们一人一半吧。",
];

/// What a reply should parse to: a letter, or a failure code.
#[derive(Debug, Clone, Copy)]
enum Want {
    Letter(char),
    Fail(&'static str),
}
use Want::{Fail, Letter};

const EN_PROMPT: &str = "You are Mia. Here is the conversation so far.\nLeo: Can you help me?\n\
Options:\nA: Mia: Sure, I'll help you carry the boxes.\nB: Mia: Sorry, I'm busy today.\n\
C: Mia: Ask someone else, please.\nD: Mia: Let's split the work in half.\n\
Reply with JSON only: {\"choice\": \"<letter>\", \"reason\": \"<one sentence>\"}";

fn table() -> Vec<(&'static str, Want)> {
    vec![
        // Well-formed JSON, in every wrapping.
        (r#"{"choice": "B", "reason": "Mia is tired."}"#, Letter('B')),
        (
            r#"{"reason": "Helping is kind.", "choice": "A"}"#,
            Letter('A'),
        ),
        (
            "```json\n{\"choice\": \"D\", \"reason\": \"fair\"}\n```",
            Letter('D'),
        ),
        (
            "Sure! Here is my answer:\n```\n{\"choice\":\"C\"}\n```\nHope that helps.",
            Letter('C'),
        ),
        ("{'choice': 'b', 'reason': 'x'}", Letter('B')),
        ("{choice: D}", Letter('D')),
        (r#"{"choice": "Option C", "reason": "polite"}"#, Letter('C')),
        (r#"{"choice": "(A)"}"#, Letter('A')),
        (r#"{"choice": "B. Sorry, I'm busy today."}"#, Letter('B')),
        (r#"{"answer": "D"}"#, Letter('D')),
        (r#"{"choice": "Ｃ", "reason": "礼貌"}"#, Letter('C')),
        ("{\"choice\"：\"B\"，\"reason\"：\"累了\"}", Letter('B')),
        (
            r#"{"choice": "C", "reason": "Option A would be rude and B is a lie."}"#,
            Letter('C'),
        ),
        // Reasoning blocks.
        (
            "<think>Maybe A? No, B is kinder... actually D.</think>\n{\"choice\": \"D\"}",
            Letter('D'),
        ),
        ("<think>A seems rude. C is lazy.</think>B", Letter('B')),
        (
            "<THINK>\nlong musing about A and C\n</THINK>\n\nAnswer: C",
            Letter('C'),
        ),
        (
            "The user wants A or B...</think>{\"choice\":\"A\"}",
            Letter('A'),
        ),
        (
            "<think>I am still thinking whether A or B",
            Fail("only_reasoning"),
        ),
        // Bare letters and short forms.
        ("B", Letter('B')),
        ("b", Letter('B')),
        ("B.", Letter('B')),
        ("(C)", Letter('C')),
        ("**D**", Letter('D')),
        ("  a  ", Letter('A')),
        ("Ｂ", Letter('B')),
        ("（Ｃ）", Letter('C')),
        // Phrases.
        ("Option B", Letter('B')),
        ("I choose C because it is polite.", Letter('C')),
        ("The answer is D.", Letter('D')),
        ("My final answer: **A**", Letter('A')),
        ("I would pick b.", Letter('B')),
        ("The best option is C; option A ignores her.", Letter('C')),
        (
            "Answer: B\nReason: option A would be dishonest.",
            Letter('B'),
        ),
        ("I'd go with D here.", Letter('D')),
        ("答案是B", Letter('B')),
        ("答案：Ｃ。", Letter('C')),
        ("我选择D，因为这样比较公平。", Letter('D')),
        ("我会选B。", Letter('B')),
        ("选项A最合适。", Letter('A')),
        ("选项A和选项B都不好，我选C。", Letter('C')),
        ("我选择了选项Ｄ", Letter('D')),
        // Leading letters.
        ("B. Because Mia needs rest.", Letter('B')),
        ("C: Mia: Ask someone else, please.", Letter('C')),
        ("(D) splitting is fair", Letter('D')),
        ("A - it is the kindest reply", Letter('A')),
        ("B，因为她很累。", Letter('B')),
        // Isolated letters in prose.
        ("I think B fits Mia best.", Letter('B')),
        ("A good friend would say D.", Letter('D')),
        ("我认为C更好", Letter('C')),
        // The utterance instead of the letter.
        ("Sorry, I'm busy today.", Letter('B')),
        ("Mia: Let's split the work in half.", Letter('D')),
        ("I would say \"Ask someone else, please.\"", Letter('C')),
        // Messy small-model output.
        (
            "A: Mia: Sure, I'll help you carry the boxes.\nB: Mia: Sorry, I'm busy today.\n\
             C: Mia: Ask someone else, please.\nD: Mia: Let's split the work in half.",
            Fail("repeats_options"),
        ),
        (
            "A: Mia: Sure, I'll help you carry the boxes.\nB: Mia: Sorry, I'm busy today.\n\
             C: Mia: Ask someone else, please.\nD: Mia: Let's split the work in half.\nAnswer: D",
            Letter('D'),
        ),
        ("A B C D", Fail("ambiguous")),
        ("A, B, C or D", Fail("ambiguous")),
        ("A\nB\nC\nD", Fail("ambiguous")),
        ("A or B", Fail("ambiguous")),
        ("I choose A. I choose B.", Fail("ambiguous")),
        (r#"{"choice": "A"} {"choice": "C"}"#, Fail("ambiguous")),
        (
            r#"{"choice": "<letter>", "reason": "<one sentence>"}"#,
            Fail("no_choice"),
        ),
        (r#"{"choice": "the kind one"}"#, Fail("unusable_value")),
        (r#"{"choice": 2}"#, Fail("unusable_value")),
        (r#"{"choice": "F"}"#, Fail("out_of_range")),
        ("E", Fail("out_of_range")),
        ("The answer is E.", Fail("out_of_range")),
        ("", Fail("empty")),
        ("   \n ", Fail("empty")),
        ("I am not sure what to do here.", Fail("no_choice")),
        ("我觉得应该选第二个。", Fail("no_choice")),
        ("Hello! How can I help you today?", Fail("no_choice")),
        ("choice choice choice", Fail("no_choice")),
        // Real SmolLM2-135M replies: the article "a" after a marker is no letter.
        (
            "Your turn.\nYou can choose a JSON object or a different line from the scenario.",
            Fail("no_choice"),
        ),
        (
            "Rosa's answer is a JSON object, but it doesn't seem to be specific.",
            Fail("no_choice"),
        ),
        ("I pick a Python function.", Fail("no_choice")),
        // A letter the reply turns down is not its answer.
        ("Not B.", Fail("no_choice")),
        ("Never A.", Fail("no_choice")),
        ("I would not choose A.", Fail("no_choice")),
        ("I don't think B is right.", Fail("no_choice")),
        ("A is wrong.", Fail("no_choice")),
        ("不是B", Fail("no_choice")),
        ("Definitely not B; I'd pick D.", Letter('D')),
        ("I wouldn't pick A, B is better.", Letter('B')),
        ("Not A, but C.", Letter('C')),
        ("B would be rude, so D.", Letter('D')),
        ("I'd say D rather than A.", Letter('D')),
        ("不选A，选C", Letter('C')),
        ("A不好，我选D。", Letter('D')),
        // … and what is no refusal.
        ("I'm not sure, but I'd pick B.", Letter('B')),
        ("There's no doubt the answer is B.", Letter('B')),
        ("B wouldn't hurt anyone.", Letter('B')),
        ("B不错。", Letter('B')),
        ("我觉得B非常好", Letter('B')),
        ("我觉得最好的是非常像B的那句", Letter('B')),
        ("并非B", Fail("no_choice")),
        ("The answer is a", Letter('A')),
        ("I choose a, the kind one.", Letter('A')),
    ]
}

#[test]
fn realistic_replies() {
    let rows = table();
    assert!(rows.len() >= 40);
    let mut wrong = Vec::new();
    for (reply, want) in rows {
        let got = parse_choice(reply, Choices::with_texts(&OPTS));
        let ok = match (want, &got) {
            (Letter(c), Ok(p)) => p.letter == c,
            (Fail(code), Err(e)) => e.code() == code,
            _ => false,
        };
        if !ok {
            wrong.push(format!("{reply:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Real SmolLM2-135M IAE replies: the model re-lists the options and garbles one line (a word
/// dropped, a line cut short). The garbled line must not become the answer.
#[test]
fn echoed_option_list_with_a_copying_slip_is_no_answer() {
    let opts = [
        "The curry was great. It still doesn't clean the oven, though.",
        "Let's be objective about it: cooking takes about an hour, and the washing-up after it \
         takes another hour. We could trade one for the other, a straight swap, and keep a note.",
        "Fine. Forget I said anything. I'll be in my room.",
        "No, I didn't, and that's fair. I've been keeping score, on my phone, actually, and it's \
         made me sour about the whole thing. The curry counts. Can we start this again?",
    ];
    let c = Choices::with_texts(&opts);
    let code = |r: &str| parse_choice(r, c).map_err(|e| e.code());
    // B lost the word "about".
    let slipped = "A. The curry was great. It still doesn't clean the oven, though.\n\
        B. Let's be objective about it: cooking takes an hour, and the washing-up after it takes \
        another hour. We could trade one for the other, a straight swap, and keep a note.\n\
        C. Fine. Forget I said anything. I'll be in my room.\n\
        D. No, I didn't, and that's fair. I've been keeping score, on my phone, actually, and it's \
        made me sour about the whole thing. The curry counts. Can we start this again?";
    assert_eq!(code(slipped), Err("repeats_options"));
    // A cut short, the others whole.
    let cut = "A. The curry was great.\nB. Let's be objective about it: cooking takes about an \
        hour\nC. Fine. Forget I said anything. I'll be in my room.\nD. No, I didn't, and that's \
        fair. I've been keeping score";
    assert_eq!(code(cut), Err("repeats_options"));
    // The same list followed by a real answer still answers.
    assert_eq!(
        parse_choice(&format!("{slipped}\nAnswer: D"), c).map(|p| p.letter),
        Ok('D')
    );
    // One lettered line is an answer, not a list, even when it paraphrases its option.
    assert_eq!(
        parse_choice("C. Fine. Forget I said anything, I'm off to my room.", c).map(|p| p.letter),
        Ok('C')
    );
    // The small test options: a slip in a short option is caught too.
    let short = "A. Sure, I'll help you carry the boxes.\nB. Sorry, I'm busy today, really.\n\
        C. Ask someone else, please.\nD. Let's split the work in half.";
    assert_eq!(
        parse_choice(short, Choices::with_texts(&OPTS)).map_err(|e| e.code()),
        Err("repeats_options")
    );
    // One option's text copied under another letter: still the list, not an answer D.
    let dup = "A. Sure, I'll help you carry the boxes.\nB. Sorry, I'm busy today.\n\
        C. Ask someone else, please.\nD. Sorry, I'm busy today.";
    assert_eq!(
        parse_choice(dup, Choices::with_texts(&OPTS)).map_err(|e| e.code()),
        Err("repeats_options")
    );
    // The start of one option, quoted and cut after a sentence or two (SmolLM2 does this), is
    // that option; a few words are not enough.
    let quoted = "\"Priya: No, I didn't, and that's fair. I've been keeping score, on my phone, \
        actually, and it's made me sour about the whole thing.\"";
    assert_eq!(
        parse_choice(quoted, c).map(|p| (p.letter, p.method)),
        Ok(('D', Method::OptionText))
    );
    assert_eq!(code("Priya: No, I didn't."), Err("no_choice"));
    // A bare letter after the list is the answer.
    assert_eq!(
        parse_choice(&format!("{short}\n\nB"), Choices::with_texts(&OPTS)).map(|p| p.letter),
        Ok('B')
    );
}

#[test]
fn chinese_option_text_and_punctuation() {
    let c = Choices::with_texts(&OPTS_ZH);
    assert_eq!(
        parse_choice("我们一人一半吧。", c).map(|p| p.letter),
        Ok('D')
    );
    assert_eq!(
        parse_choice("{\"choice\"：\"Ｂ\"}", c).map(|p| p.method),
        Ok(Method::Json)
    );
    assert_eq!(parse_choice("答案是：（Ａ）", c).map(|p| p.letter), Ok('A'));
}

#[test]
fn echoed_prompt_is_cut_when_known() {
    let reply = format!("{EN_PROMPT}\nB");
    let c = Choices::with_texts(&OPTS).echoing(EN_PROMPT);
    assert_eq!(parse_choice(&reply, c).map(|p| p.letter), Ok('B'));
    // The echo of the prompt alone is no answer.
    assert_eq!(
        parse_choice(EN_PROMPT, c).map_err(|e| e.code()),
        Err("no_choice")
    );
    // A partial echo (the model stopped half way) is cut too.
    let half = &EN_PROMPT[..120];
    let reply = format!("{half}\n{{\"choice\": \"C\"}}");
    assert_eq!(parse_choice(&reply, c).map(|p| p.letter), Ok('C'));
}

#[test]
fn methods_are_reported() {
    let c = Choices::with_texts(&OPTS);
    let method = |r: &str| parse_choice(r, c).map(|p| p.method);
    assert_eq!(method("{\"choice\": \"A\"}"), Ok(Method::Json));
    assert_eq!(method("B"), Ok(Method::Whole));
    assert_eq!(method("I choose C"), Ok(Method::Phrase));
    assert_eq!(method("Option D is kind"), Ok(Method::Option));
    assert_eq!(method("B. tired"), Ok(Method::Leading));
    assert_eq!(method("Sorry, I'm busy today."), Ok(Method::OptionText));
    assert_eq!(method("Well, B fits."), Ok(Method::Isolated));
}

#[test]
fn letters_are_validated_against_the_option_count() {
    let two = Choices::letters(2);
    assert_eq!(parse_choice("B", two).map(|p| p.index), Ok(1));
    assert_eq!(
        parse_choice("C", two),
        Err(ParseFailure::OutOfRange {
            letter: 'C',
            options: 2
        })
    );
    assert_eq!(
        parse_choice("A", Choices::letters(0)),
        Err(ParseFailure::NoOptions)
    );
    assert_eq!(
        parse_choice("A", Choices::letters(27)),
        Err(ParseFailure::TooManyOptions { count: 27 })
    );
    // Z is valid with 26 options; "I" only reads as a letter where it cannot be the pronoun.
    assert_eq!(
        parse_choice("Z", Choices::letters(26)).map(|p| p.index),
        Ok(25)
    );
    assert_eq!(
        parse_choice("I", Choices::letters(9)).map(|p| p.index),
        Ok(8)
    );
    assert_eq!(
        parse_choice("I think so", Choices::letters(9)).map_err(|e| e.code()),
        Err("no_choice")
    );
}

#[test]
fn failures_explain_themselves() {
    let c = Choices::with_texts(&OPTS);
    let amb = parse_choice("A or B", c).err();
    assert_eq!(
        amb,
        Some(ParseFailure::Ambiguous {
            letters: vec!['A', 'B']
        })
    );
    assert_eq!(
        amb.map(|e| e.to_string()).as_deref(),
        Some("the reply names several options with equal standing: A, B")
    );
    assert_eq!(
        ParseFailure::OutOfRange {
            letter: 'F',
            options: 4
        }
        .to_string(),
        "the reply names F, but the options are A–D"
    );
    let json = serde_json::to_string(&ParseFailure::Empty).unwrap();
    assert_eq!(json, r#"{"kind":"empty"}"#);
}

#[test]
fn correction_messages() {
    let en = correction_message(Language::En, 3);
    assert!(en.contains("A, B, C"), "{en}");
    assert!(en.contains(r#"{"choice": "<letter>""#), "{en}");
    let zh = correction_message(Language::Zh, 4);
    assert!(zh.contains("A、B、C、D"), "{zh}");
    assert!(zh.contains("\"choice\""), "{zh}");
    assert_eq!(letter_list(2, Language::En), "A, B");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_text(reply in any::<String>(), n in 0usize..30) {
        let _ = parse_choice(&reply, Choices::letters(n));
        let _ = parse_choice(&reply, Choices::with_texts(&OPTS).echoing(&reply));
    }

    #[test]
    fn never_panics_on_reply_like_text(
        reply in r#"(<think>|</think>|\{|\}|"choice"|: |"|'|[A-Fa-f]|Ｂ|（|）|：|答案是|Option |\n| |[a-z]{1,6}|```){0,40}"#,
    ) {
        let _ = parse_choice(&reply, Choices::with_texts(&OPTS));
    }

    #[test]
    fn json_answers_survive_surrounding_prose(
        idx in 0usize..4,
        before in "[a-z ,.]{0,60}",
        after in "[a-z ,.]{0,60}",
    ) {
        let letter = char::from(b'A' + u8::try_from(idx).unwrap());
        let reply = format!("{before}\n{{\"choice\": \"{letter}\", \"reason\": \"{after}\"}}\n{after}");
        let parsed = parse_choice(&reply, Choices::with_texts(&OPTS)).unwrap();
        prop_assert_eq!(parsed.index, idx);
    }

    #[test]
    fn reasoning_never_leaks(idx in 0usize..4, noise in "[A-D ]{0,30}") {
        let letter = char::from(b'A' + u8::try_from(idx).unwrap());
        let reply = format!("<think>{noise}</think>\n{letter}");
        prop_assert_eq!(parse_choice(&reply, Choices::letters(4)).unwrap().index, idx);
    }
}
