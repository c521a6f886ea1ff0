use std::collections::BTreeSet;

use super::*;

fn none() -> BTreeSet<String> {
    BTreeSet::new()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

// Spec §11 item 14: the fence-extraction cases.
#[test]
fn extraction_drops_language_tag() {
    assert_eq!(extract_proposal("```markdown\nBe precise.\n```"), "Be precise.");
    assert_eq!(extract_proposal("```\nBe precise.\n```"), "Be precise.");
}

#[test]
fn extraction_ignores_text_outside_fences() {
    assert_eq!(extract_proposal("Here you go:\n```\nNew text.\n```\nHope it helps!"), "New text.");
}

#[test]
fn extraction_keeps_inner_fences_using_the_outermost_pair() {
    let reply = "```\nUse this format:\n```json\n{\"a\": 1}\n```\nDone.\n```";
    assert_eq!(extract_proposal(reply), "Use this format:\n```json\n{\"a\": 1}\n```\nDone.");
}

#[test]
fn extraction_trims_whitespace() {
    assert_eq!(extract_proposal("  \n```\n\n  Spaced out.  \n\n```  \n"), "Spaced out.");
}

#[test]
fn extraction_handles_unterminated_opening_fence() {
    assert_eq!(extract_proposal("```text\nNever closed."), "Never closed.");
}

#[test]
fn extraction_handles_trailing_fence_only() {
    assert_eq!(extract_proposal("Only a closing fence.\n```"), "Only a closing fence.");
}

#[test]
fn extraction_keeps_a_lone_fence_in_the_middle() {
    assert_eq!(extract_proposal("Before ``` after"), "Before ``` after");
}

#[test]
fn extraction_without_fences_returns_trimmed_text() {
    assert_eq!(extract_proposal("  Just text.  "), "Just text.");
}

#[test]
fn extraction_keeps_a_meaningful_first_line() {
    // The reference drops any single-token first line; we only drop tag-like ones.
    assert_eq!(extract_proposal("```\nInstructions:\nBe brief.\n```"), "Instructions:\nBe brief.");
    assert_eq!(extract_proposal("```one-liner```"), "one-liner");
}

#[test]
fn a_block_is_complete_only_when_every_fence_is_closed() {
    assert!(closes_its_blocks("```\nBe brief.\n```\nThis rewrite makes the"));
    assert!(closes_its_blocks("```a``` and ```b```"));
    assert!(!closes_its_blocks("```\nBe brief and"));
    assert!(!closes_its_blocks("```a``` and then ```b is cut"));
    assert!(!closes_its_blocks("No fences, cut off mid"));
}

#[test]
fn a_cut_off_reply_keeps_its_complete_lines_when_they_are_enough() {
    let parent = "Convert the date to ISO 8601.";
    let reply = "```\nConvert the given date to ISO 8601 (YYYY-MM-DD).\nMonths written as words become two-digit numbers.\nTwo-digit ye";
    assert_eq!(
        salvage_cut_off(reply, parent).as_deref(),
        Some(
            "Convert the given date to ISO 8601 (YYYY-MM-DD).\nMonths written as words become two-digit numbers."
        )
    );
    assert_eq!(salvage_cut_off("```\nConvert the", parent), None, "nothing complete");
    assert_eq!(
        salvage_cut_off("```\nISO.\nTwo-digit ye", parent),
        None,
        "too short to replace the parent"
    );
    assert_eq!(
        salvage_cut_off("Convert dates to ISO 8601, always four-digit years.\nNo", parent)
            .as_deref(),
        Some("Convert dates to ISO 8601, always four-digit years."),
        "a reply without a fence"
    );
}

// From the issue's user test: Qwen2.5-Coder-1.5B answered with the instruction inside a JSON string.
#[test]
fn an_instruction_wrapped_in_json_is_taken_as_its_string() {
    assert_eq!(
        unwrap_json_instruction(
            r#"{"text": "Convert the given date to ISO format. Ensure the year has four digits."}"#
        )
        .as_deref(),
        Some("Convert the given date to ISO format. Ensure the year has four digits.")
    );
    assert_eq!(
        unwrap_json_instruction(r#"{"instruction": "Be brief."}"#).as_deref(),
        Some("Be brief.")
    );
    assert_eq!(
        unwrap_json_instruction(r#"{"new_text": "Be brief."}"#).as_deref(),
        Some("Be brief.")
    );
    assert_eq!(
        unwrap_json_instruction(r#"{"rules": "Be brief."}"#).as_deref(),
        Some("Be brief."),
        "a single string value"
    );
    assert_eq!(unwrap_json_instruction(r#"{"rules": ["a", "b"], "format": "x"}"#), None);
    assert_eq!(unwrap_json_instruction("Be brief."), None);
}

#[test]
fn screening_rejects_unusable_proposals() {
    let parent = "Answer the question about {{question}} with a number.";
    let q = names(&["question"]);
    assert_eq!(screen_text(parent, "", None, &q), Err(ScreenReject::Empty));
    assert_eq!(
        screen_text(parent, " Answer the question about {{question}}\nwith a number. ", None, &q),
        Err(ScreenReject::SameAsParent)
    );
    assert!(matches!(
        screen_text(parent, "{\"rules\": [\"be good {{question}}\"]}", None, &q),
        Err(ScreenReject::WrongShape { .. })
    ));
    assert!(matches!(
        screen_text(parent, "Answer with a number.", None, &q),
        Err(ScreenReject::WrongShape { reason }) if reason.contains("{{question}}")
    ));
    assert!(matches!(
        screen_text(parent, &"Repeat this line please.\n".repeat(6), None, &q),
        Err(ScreenReject::WrongShape { .. })
    ));
    // Seen with a real model: a looping paragraph whose copies differ only in a final period.
    let looped =
        "The expected answer should be the date in ISO form and nothing else {{question}}.\n\n"
            .repeat(2)
            + "The expected answer should be the date in ISO form and nothing else {{question}}\n";
    assert!(matches!(screen_text(parent, &looped, None, &q), Err(ScreenReject::WrongShape { .. })));
    let fine = "Answer {{question}} with digits.\nUse digits only.\nNo words.";
    assert_eq!(screen_text(parent, fine, None, &q), Ok(()));
    assert_eq!(
        screen_text(parent, "Reply with digits only for {{question}}.", Some(10), &q),
        Err(ScreenReject::TooLong { chars: 40, limit: 10 })
    );
}

#[test]
fn the_prompts_own_record_scaffold_is_an_echo() {
    let echo = "### Example 1\nInputs:\n- q: 2+2\nAssistant's output:\nfour\nScore: 0\nFeedback: Expected 4.";
    assert!(
        matches!(screen_text("Be good.", echo, None, &none()), Err(ScreenReject::WrongShape { reason }) if reason.contains("echoes"))
    );
}

#[test]
fn few_shot_demonstrations_are_not_echoes() {
    // The shape a coder model writes when it teaches by example.
    let demo = "Classify each support ticket with one label: billing, login, bug or feature.\n\n\
                ### Example 1\nTicket: I was charged twice.\nAnswer: billing\n\n\
                ### Example 2\nTicket: The app crashes when I upload a photo.\nAnswer: bug";
    assert_eq!(screen_text("Classify the ticket.", demo, None, &none()), Ok(()));
}

#[test]
fn a_repeated_short_line_such_as_a_label_is_not_a_loop() {
    let labels = "Reply with the label only.\nTicket about payments\nLabel: billing\nTicket about passwords\n\
                  Label: login\nTicket about refunds\nLabel: billing\nTicket about invoices\nLabel: billing\n\
                  Ticket about charges\nLabel: billing\nTicket about receipts\nLabel: billing";
    assert_eq!(screen_text("Classify the ticket.", labels, None, &none()), Ok(()));
}

#[test]
fn placeholders_naming_inputs_or_earlier_outputs_are_valid() {
    let available = names(&["text", "draft"]);
    assert_eq!(
        screen_text(
            "Fix the grammar.",
            "Fix the grammar of {{text}}, keeping {{draft}}'s meaning.",
            None,
            &available
        ),
        Ok(())
    );
    assert!(matches!(
        screen_text("Fix the grammar.", "Fix the grammar of {{txt}}.", None, &available),
        Err(ScreenReject::WrongShape { reason }) if reason.contains("{{txt}}")
    ));
}

#[test]
fn corrections_say_what_was_wrong_and_what_to_do() {
    let available = names(&["date"]);
    let fix = |r: ScreenReject| r.correction("system", &available, ReflectionMode::Rewrite);
    assert!(fix(ScreenReject::SameAsParent).contains("identical to the current one"));
    assert!(
        fix(ScreenReject::Truncated).contains("cut off")
            && fix(ScreenReject::Truncated).contains("shorter")
    );
    let json =
        fix(ScreenReject::WrongShape { reason: "is a JSON value, not instruction text".into() });
    assert!(json.contains("plain text, not JSON"), "{json}");
    assert!(json.contains("These placeholders exist: {{date}}."), "{json}");
    assert!(fix(ScreenReject::DuplicateOf { index: 3 }).contains("already tried"));
    // In edit mode the correction asks for edit lines, never for a whole text in a block.
    let edit = |r: ScreenReject| r.correction("system", &available, ReflectionMode::Edit);
    for reject in [
        ScreenReject::Empty,
        ScreenReject::Truncated,
        ScreenReject::SameAsParent,
        ScreenReject::DuplicateOf { index: 3 },
        ScreenReject::BeingTested { iteration: 4 },
        ScreenReject::TooLong { chars: 900, limit: 800 },
        ScreenReject::WrongShape { reason: "is a JSON value, not instruction text".into() },
        ScreenReject::WrongShape { reason: "echoes the example records".into() },
    ] {
        let text = edit(reject.clone());
        assert!(
            !text.contains("complete new text") && !text.contains("``` block"),
            "{reject:?}: {text}"
        );
        assert!(
            text.contains("ADD:") || text.contains("edit lines") || text.contains("REPLACE:"),
            "{reject:?}: {text}"
        );
    }
    assert!(edit(ScreenReject::SameAsParent).contains("already says that"));
}

#[test]
fn reference_style_prompt_has_the_reference_structure() {
    let records = one_wrong_record();
    let messages = reflection_messages(
        ReflectionStyle::Reference,
        ReflectionMode::Rewrite,
        "system",
        "Be good.",
        &records,
        None,
        &[],
    );
    assert_eq!(messages.len(), 1, "a single user message, like the reference");
    let text = &messages[0].content;
    assert!(
        text.contains("```\nBe good.\n```")
            && text.contains("### Example 1")
            && text.contains("domain-specific")
    );
    assert!(text.ends_with("inside ``` blocks."));
}

#[test]
fn our_prompt_shows_text_records_placeholders_and_note_asks_for_prose_and_never_says_grader() {
    let records = vec![ReflectiveRecord {
        inputs: vec![("question".into(), "2+2?".into())],
        output: "four".into(),
        feedback: "Expected 4 (digits).".into(),
        score: 0.0,
    }];
    for mode in [ReflectionMode::Rewrite, ReflectionMode::Edit] {
        let messages = reflection_messages(
            ReflectionStyle::Rules,
            mode,
            "system",
            "Answer {{question}}.",
            &records,
            Some("Prefer digits."),
            &[],
        );
        assert_eq!(messages.len(), 2);
        let all = format!("{}\n{}", messages[0].content, messages[1].content);
        let user = &messages[1].content;
        assert!(user.contains("```\nAnswer {{question}}.\n```"));
        assert!(user.contains("### Example 1"));
        assert!(user.contains("- question: 2+2?"));
        assert!(user.contains("Feedback: Expected 4 (digits)."));
        assert!(user.contains("{{question}}"));
        assert!(user.contains("Prefer digits."));
        assert!(!all.to_lowercase().contains("grader"), "{mode:?}: {all}");
        match mode {
            ReflectionMode::Rewrite => assert!(user.contains("not JSON or code")),
            ReflectionMode::Edit => {
                assert!(user.contains("REPLACE:") && user.contains("edit lines only"))
            }
        }
    }
}

// Replies seen with Qwen2.5-Coder-0.5B on the warehouse-bins task.
#[test]
fn real_replies_that_copy_the_records_or_the_instructions_or_loop_are_screened() {
    let parent = "Give the storage bin code for the item.";
    let python_records = "# Example 1\ninputs = ['Vinyl records, box of 20']\nassistant_output = ['F4']\nscore = 0\nfeedback = \"Incorrect: the answer names none of the labels (K7, H2, F4, B1, G0); expected 'F4'.\"\n\n# Example 2\ninputs = ['Paperback novel']\nassistant_output = ['G0']\nscore = 0\nfeedback = \"Incorrect\"";
    let copied = "Work out what the correct answers have in common across ALL the examples: which features of an input lead to which answer, and exactly what form the answer must take. Say this plainly in the new text, as instructions to the assistant.\n\nFeedback: The assistant could not know otherwise.";
    let numbered_loop = "What features of an input lead to which answer?\n1. The item is a type of food\n2. The item is a type of appliance\n3. The item is a type of clothing\n4. The item is a type of appliance\n5. The item is a type of appliance";
    for (reply, why) in [
        (python_records, "echoes"),
        (copied, "copies the instructions"),
        (numbered_loop, "repeats"),
    ] {
        assert!(
            matches!(screen_text(parent, reply, None, &none()), Err(ScreenReject::WrongShape { ref reason }) if reason.contains(why)),
            "{why}: {:?}",
            screen_text(parent, reply, None, &none())
        );
    }
}

// Replies seen with Qwen2.5-Coder-0.5B on date-normalization: the re-ask's own note returned as
// the new text, and the edit format's line descriptions added as if they were rules. Each was
// evaluated on a minibatch before these phrases were screened.
#[test]
fn real_replies_that_copy_a_re_ask_note_or_the_edit_format_are_screened() {
    let parent = "Convert the date.";
    let available: BTreeSet<String> = ["date".to_owned()].into();
    for reply in [
        "An earlier reply to this request could not be used. Your text was identical to the current one. Change it so that it fixes the failures shown above. These placeholders exist: {{date}}.",
        "Convert the date.\nA sentence to add to the text.\nThe sentence that replaces it is \"The date\" is in the format \"Month Day 'Year'\".",
        "Convert the date.\n\nThese new versions of the text were tried alongside this one, so do not propose them again:",
    ] {
        assert!(
            matches!(screen_text(parent, reply, None, &available), Err(ScreenReject::WrongShape { ref reason }) if reason.contains("copies the instructions")),
            "{reply}: {:?}",
            screen_text(parent, reply, None, &available)
        );
    }
    // An instruction that quotes and replaces is still fine.
    let fine = "Convert the date to the form YYYY-MM-DD and reply with that alone.";
    assert_eq!(screen_text(parent, fine, None, &available), Ok(()));
}

// The screen's list of our own phrases must follow the prompts: every phrase is in a prompt, a
// correction or a re-ask note we send (so a rewording of the prompts cannot leave it stale).
#[test]
fn every_screened_phrase_is_one_we_send() {
    let records = one_wrong_record();
    let tested = ["Be good.\nRule 1.".to_owned()];
    let mut sent = String::from(ASKED_AGAIN);
    for mode in [ReflectionMode::Rewrite, ReflectionMode::Edit] {
        for m in reflection_messages(
            ReflectionStyle::Rules,
            mode,
            "system",
            "Use {{q}}.",
            &records,
            None,
            &tested,
        ) {
            sent.push_str(&m.content);
        }
        let available: BTreeSet<String> = ["q".to_owned()].into();
        sent.push_str(&ScreenReject::SameAsParent.correction("system", &available, mode));
    }
    let sent = sent.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    for phrase in super::screen::INSTRUCTION_PHRASES {
        assert!(sent.contains(phrase), "{phrase:?} is not in anything we send");
    }
}

#[test]
fn versions_being_tested_are_shown_last_and_the_reply_must_differ() {
    let records = one_wrong_record();
    let tested: Vec<String> = (1..=4).map(|n| format!("Be good.\nRule {n}.")).collect();
    for mode in [ReflectionMode::Rewrite, ReflectionMode::Edit] {
        let messages = reflection_messages(
            ReflectionStyle::Rules,
            mode,
            "system",
            "Be good.",
            &records,
            None,
            &tested,
        );
        let user = &messages[1].content;
        let shown = user.split("tried alongside this one").nth(1).expect("the versions are shown");
        assert!(
            !shown.contains("Rule 1.") && shown.contains("```\nBe good.\nRule 4.\n```"),
            "{shown}"
        );
        assert_eq!(shown.matches("```\n").count(), 6, "the last three versions: {shown}");
        assert!(user.contains("fix a failure these versions do not address. Reply with"), "{user}");
        let without = rules_request(mode, &records);
        assert!(!without[1].content.contains("tried alongside"));
    }
}

#[test]
fn a_revision_not_yet_scored_is_shown_after_the_results_of_the_text_that_produced_them() {
    let records = one_wrong_record();
    for (mode, ending) in [
        (ReflectionMode::Rewrite, "inside a single ``` fenced block."),
        (ReflectionMode::Edit, "Reply with the edit lines only."),
    ] {
        let mut messages = rules_request(mode, &records);
        revised_since(&mut messages, mode, "system", "Be good.\nRule 1.\n");
        let user = &messages[1].content;
        let (before, after) = user.split_once("`system` was revised to").expect("the revision");
        assert!(before.contains("```\nBe good.\n```") && !before.contains("Rule 1."), "{user}");
        assert!(before.contains("Assistant's output:\ny"), "the results come first: {user}");
        assert!(after.contains("```\nBe good.\nRule 1.\n```"), "{after}");
        assert!(after.contains("Improve this revised text, not the one above"), "{after}");
        assert!(after.ends_with(ending), "{mode:?}: {after}");
    }
}

/// Our request to improve "Be good." given `records`, with nothing being tested beside it.
fn rules_request(mode: ReflectionMode, records: &[ReflectiveRecord]) -> Vec<crate::ChatMessage> {
    reflection_messages(ReflectionStyle::Rules, mode, "system", "Be good.", records, None, &[])
}

/// One record of a wrong answer, for the prompt tests.
fn one_wrong_record() -> Vec<ReflectiveRecord> {
    vec![ReflectiveRecord {
        inputs: vec![("q".into(), "x".into())],
        output: "y".into(),
        feedback: "wrong".into(),
        score: 0.0,
    }]
}
