use super::*;

#[test]
fn a_tagging_advances_to_the_next_untagged_sentence() {
    let mut t = Tagging::new("One. Two! Three?");
    assert_eq!(t.sentences, ["One.", "Two!", "Three?"]);
    t.tag("restate");
    assert_eq!(t.focus, 1);
    t.focus = 2;
    t.tag("question");
    assert_eq!(t.focus, 1, "back to the one left");
    assert_eq!(t.untagged(), 1);
    t.untag();
    t.tag("affirm");
    assert_eq!(t.untagged(), 0);
    let order = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
    t.toggle_distortion("c", &order);
    t.toggle_distortion("a", &order);
    assert_eq!(t.distortions, ["a", "c"]);
    t.toggle_distortion("c", &order);
    assert_eq!(t.distortions, ["a"]);
}
