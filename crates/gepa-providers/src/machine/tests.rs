//! The call machine's behaviour, tested once for both transports with a scripted clock: the
//! test plays the shell (it answers sends with scripted responses at chosen times).

use super::*;
use crate::endpoint::EndpointConfig;
use crate::wire::FinishReason;
use gepa_core::Usage;

const OK_BODY: &str = r#"{"choices":[{"message":{"content":"fine"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;
const CUT_BODY: &str = r#"{"choices":[{"message":{"content":"fi"},"finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#;

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        body: body.to_owned(),
    }
}

fn ok() -> Result<HttpResponse, ProviderError> {
    Ok(response(200, &[], OK_BODY))
}

fn endpoints(task_url: &str) -> Endpoints {
    let mut task = EndpointConfig::from_preset(Preset::LlamaCpp, "small");
    task.base_url = task_url.into();
    task.timeout_ms = 5_000;
    let mut reflection = EndpointConfig::from_preset(Preset::LlamaCpp, "big");
    reflection.base_url = "http://127.0.0.1:2/v1".into();
    Endpoints { task, reflection, judge: None }
}

/// The shell's side of the conversation, with a clock the test moves.
struct Shell {
    machine: CallMachine,
    now: u64,
    sends: Vec<(CallId, u32, HttpRequest, u64)>,
    lookups: Vec<(CallId, String)>,
    stored: Vec<String>,
    replies: BTreeMap<CallId, Reply>,
}

impl Shell {
    fn new(settings: CallSettings) -> Shell {
        let machine = CallMachine::new(
            endpoints("http://127.0.0.1:1/v1"),
            settings,
            PriceTable::default(),
            7,
        );
        Shell {
            machine,
            now: 0,
            sends: Vec::new(),
            lookups: Vec::new(),
            stored: Vec::new(),
            replies: BTreeMap::new(),
        }
    }

    fn without_cache(concurrency: usize) -> Shell {
        Shell::new(CallSettings { concurrency, use_cache: false, ..CallSettings::default() })
    }

    fn submit(&mut self, role: ModelRole, text: &str) -> CallId {
        self.machine.submit(role, vec![ChatMessage::user(text)])
    }

    /// Polls and sorts the actions into the shell's inboxes.
    fn poll(&mut self) {
        for action in self.machine.poll(self.now) {
            match action {
                Action::Send { call, attempt, request, timeout_ms } => {
                    self.sends.push((call, attempt, request, timeout_ms));
                }
                Action::LookUp { call, key } => self.lookups.push((call, key)),
                Action::Store { key, .. } => self.stored.push(key),
                Action::Reply { call, reply } => {
                    assert!(self.replies.insert(call, reply).is_none(), "one reply per call");
                }
            }
        }
    }

    /// Answers the oldest outstanding send.
    fn answer(&mut self, result: Result<HttpResponse, ProviderError>) -> CallId {
        let (call, attempt, _, _) = self.sends.remove(0);
        self.machine.sent(call, attempt, result, self.now);
        self.poll();
        call
    }

    /// Moves the clock to the machine's next wake-up and polls.
    fn sleep(&mut self) -> u64 {
        let wake = self.machine.next_wake(self.now).expect("something to wait for");
        assert!(wake >= self.now);
        let slept = wake - self.now;
        self.now = wake;
        self.poll();
        slept
    }
}

#[test]
fn never_more_calls_in_flight_than_the_endpoint_allows_and_a_reply_frees_a_slot() {
    let mut shell = Shell::without_cache(4);
    for i in 0..10 {
        shell.submit(ModelRole::Task, &format!("q{i}"));
    }
    shell.poll();
    assert_eq!(shell.sends.len(), 4);
    assert_eq!(shell.machine.in_flight(), 4);
    let first = shell.answer(ok());
    assert!(matches!(&shell.replies[&first], Reply::Text { text, .. } if text == "fine"));
    assert_eq!(shell.sends.len(), 4, "the freed slot went to the next queued call at once");
    assert_eq!(shell.machine.status(0)[0].queued, 5);
    while !shell.sends.is_empty() {
        shell.answer(ok());
    }
    assert_eq!(shell.replies.len(), 10);
    assert_eq!(shell.machine.peak_in_flight(), 4);
    assert_eq!(shell.machine.pending(), 0);
    assert_eq!(shell.machine.next_wake(shell.now), None);
}

#[test]
fn a_waiting_call_of_an_older_iteration_starts_before_younger_ones_queued_earlier() {
    let mut shell = Shell::without_cache(1);
    let rank = |shell: &mut Shell, text: &str, rank: u64| {
        shell.machine.submit_ranked(ModelRole::Task, vec![ChatMessage::user(text)], rank)
    };
    let busy = rank(&mut shell, "busy", 5);
    shell.poll();
    let young = rank(&mut shell, "young", 3);
    let younger = rank(&mut shell, "younger", 4);
    let old = rank(&mut shell, "old", 1);
    let old_too = rank(&mut shell, "old too", 1);
    shell.poll();
    let mut order = Vec::new();
    while !shell.sends.is_empty() {
        order.push(shell.answer(ok()));
    }
    assert_eq!(order, [busy, old, old_too, young, younger], "rank first, then submission order");
}

#[test]
fn each_endpoint_has_its_own_slots() {
    let mut shell = Shell::without_cache(1);
    shell.submit(ModelRole::Task, "a");
    shell.submit(ModelRole::Task, "b");
    shell.submit(ModelRole::Reflection, "c");
    shell.poll();
    let urls: Vec<&str> = shell.sends.iter().map(|s| s.2.url.as_str()).collect();
    assert_eq!(
        urls,
        ["http://127.0.0.1:1/v1/chat/completions", "http://127.0.0.1:2/v1/chat/completions"]
    );
    assert_eq!(shell.sends[0].3, 5_000, "the endpoint's own timeout goes with the send");
}

#[test]
fn the_cache_is_asked_first_and_only_complete_replies_are_stored() {
    let mut shell = Shell::new(CallSettings { concurrency: 4, ..CallSettings::default() });
    let hit = shell.submit(ModelRole::Task, "cached");
    let miss = shell.submit(ModelRole::Task, "fresh");
    let cut = shell.submit(ModelRole::Task, "cut");
    shell.poll();
    assert_eq!(shell.lookups.len(), 3);
    assert!(shell.sends.is_empty(), "nothing is sent before the cache answered");
    let completion = Completion {
        text: "from cache".into(),
        finish: FinishReason::Stop,
        usage: Usage::default(),
    };
    shell.machine.cached(hit, Some(completion));
    shell.machine.cached(miss, None);
    shell.machine.cached(cut, None);
    shell.poll();
    assert!(matches!(&shell.replies[&hit], Reply::Text { text, .. } if text == "from cache"));
    assert_eq!(shell.sends.len(), 2);
    shell.answer(ok());
    shell.answer(Ok(response(200, &[], CUT_BODY)));
    assert_eq!(shell.stored, [shell.lookups[1].1.clone()], "the cut-off reply is not stored");
    assert!(matches!(&shell.replies[&cut], Reply::Text { truncated: true, .. }));
}

#[test]
fn a_call_asking_the_cache_shows_as_waiting_until_the_cache_answers() {
    let mut shell = Shell::new(CallSettings { concurrency: 4, ..CallSettings::default() });
    let first = shell.submit(ModelRole::Task, "first");
    shell.poll();
    shell.machine.cached(first, None);
    shell.poll();
    let line = |shell: &Shell| {
        let status = shell.machine.status(shell.now);
        (status[0].in_flight, status[0].queued)
    };
    assert_eq!(line(&shell), (1, 0));
    let second = shell.submit(ModelRole::Task, "second");
    assert_eq!(line(&shell), (1, 1), "asking the cache is waiting, not idle");
    let completion =
        Completion { text: "hit".into(), finish: FinishReason::Stop, usage: Usage::default() };
    shell.machine.cached(second, Some(completion));
    assert_eq!(line(&shell), (1, 0));
}

#[test]
fn transient_faults_are_retried_with_growing_waits_and_no_attempt_limit() {
    let mut shell = Shell::without_cache(1);
    let call = shell.submit(ModelRole::Task, "q");
    shell.poll();
    let faults = [
        Ok(response(500, &[], r#"{"error":{"message":"internal"}}"#)),
        Ok(response(200, &[], r#"{"choices": [ {"message": "#)),
        Ok(response(200, &[], "")),
        Ok(response(408, &[], "")),
        Ok(response(503, &[], "")),
        Err(ProviderError::new(ErrorKind::Network, "connection reset")),
        Err(ProviderError::new(ErrorKind::Timeout, "no reply within 5 s")),
    ];
    let mut waits = Vec::new();
    for round in 0..3 {
        for fault in faults.clone() {
            shell.answer(fault);
            assert!(shell.replies.is_empty(), "round {round}: retried, not given up");
            assert!(shell.machine.status(shell.now)[0].retrying());
            waits.push(shell.sleep());
        }
    }
    assert_eq!(shell.sends.len(), 1, "21 faults later the call is still being tried");
    assert!(waits[0] <= 500 && waits[5] >= 8_000, "capped exponential backoff: {waits:?}");
    assert!(waits.iter().all(|w| *w <= 30_000), "never more than the cap: {waits:?}");
    shell.answer(ok());
    assert!(matches!(&shell.replies[&call], Reply::Text { .. }));
    let status = &shell.machine.status(shell.now)[0];
    assert!(!status.retrying() && status.last_error.is_none(), "a good reply heals the endpoint");
    assert_eq!(shell.machine.fault_counts(), (21, 21));
}

#[test]
fn a_rate_limit_holds_the_whole_endpoint_for_its_retry_after() {
    let mut shell = Shell::without_cache(2);
    shell.submit(ModelRole::Task, "a");
    shell.submit(ModelRole::Task, "b");
    shell.submit(ModelRole::Task, "c");
    shell.poll();
    shell.now = 100;
    shell.answer(Ok(response(429, &[("retry-after", "3")], "{}")));
    let status = &shell.machine.status(shell.now)[0];
    assert_eq!(status.backing_off_until_ms, Some(3_100));
    assert_eq!(status.effective_limit, 1, "a 429 halves the endpoint's concurrency");
    // The other call still runs; nothing new starts while the endpoint backs off.
    assert_eq!(shell.sends.len(), 1);
    shell.now = 200;
    shell.answer(ok());
    assert_eq!(shell.sends.len(), 0, "a slot is free but the endpoint is backing off");
    shell.sleep();
    assert_eq!(shell.now, 3_100, "woken exactly when the Retry-After has passed");
    assert_eq!(shell.sends.len(), 2, "the rate-limited call and the queued one go now");
}

#[test]
fn patience_runs_out_after_continuous_failure_and_the_message_says_why_and_what_to_do() {
    let retry = RetryPolicy { patience_ms: 60_000, ..RetryPolicy::default() };
    let mut shell = Shell::new(CallSettings { concurrency: 1, retry, use_cache: false });
    let call = shell.submit(ModelRole::Task, "q");
    shell.poll();
    let down = || Err(ProviderError::new(ErrorKind::Network, "connection refused"));
    let mut tries = 0;
    while shell.replies.is_empty() {
        shell.answer(down());
        tries += 1;
        if shell.replies.is_empty() {
            shell.sleep();
        }
    }
    assert!(shell.now >= 60_000 && shell.now < 60_000 + 30_000, "gave up at {}", shell.now);
    assert!(tries > 5);
    let Reply::Failed { failure: FailureKind::Transport, error } = &shell.replies[&call] else {
        panic!("{:?}", shell.replies[&call])
    };
    assert!(error.contains("task endpoint (http://127.0.0.1:1/v1) has failed for"), "{error}");
    assert!(error.contains("connection refused") && error.contains("Resume"), "{error}");
}

#[test]
fn a_good_reply_restarts_the_patience_clock() {
    let retry = RetryPolicy { patience_ms: 10_000, ..RetryPolicy::default() };
    let mut shell = Shell::new(CallSettings { concurrency: 2, retry, use_cache: false });
    let flaky = shell.submit(ModelRole::Task, "flaky");
    let healthy = shell.submit(ModelRole::Task, "healthy");
    shell.poll();
    shell.answer(Ok(response(500, &[], "")));
    shell.now = 9_000;
    shell.answer(ok());
    assert!(shell.replies.contains_key(&healthy));
    assert_eq!(shell.sends.len(), 1, "the flaky call's retry went out");
    shell.now = 15_000;
    shell.answer(Ok(response(500, &[], "")));
    assert!(
        !shell.replies.contains_key(&flaky),
        "15 s after the first fault, but 6 s after a success"
    );
}

#[test]
fn a_timeout_is_a_transient_fault_and_the_give_up_message_names_the_timeout() {
    let retry = RetryPolicy { patience_ms: 1, ..RetryPolicy::default() };
    let mut shell = Shell::new(CallSettings { concurrency: 1, retry, use_cache: false });
    let call = shell.submit(ModelRole::Task, "slow");
    shell.poll();
    shell.answer(Err(ProviderError::new(ErrorKind::Timeout, "no reply within 5 s")));
    assert!(shell.replies.is_empty(), "the first timeout starts the clock and is retried");
    shell.sleep();
    shell.answer(Err(ProviderError::new(ErrorKind::Timeout, "no reply within 5 s")));
    let Reply::Failed { error, .. } = &shell.replies[&call] else { panic!() };
    assert!(error.contains("no reply within 5 s (the endpoint's timeout)"), "{error}");
    assert!(error.contains("raise the timeout"), "{error}");
}

#[test]
fn causes_no_retry_can_fix_end_the_call_at_once_with_the_fix() {
    let cases: [(Result<HttpResponse, ProviderError>, &str, FailureKind); 6] = [
        (
            Ok(response(401, &[], r#"{"error":{"message":"bad key"}}"#)),
            "API key",
            FailureKind::Transport,
        ),
        (Ok(response(403, &[], "{}")), "API key", FailureKind::Transport),
        (
            Ok(response(404, &[], r#"{"error":{"message":"model not found"}}"#)),
            "model name",
            FailureKind::Transport,
        ),
        (
            Ok(response(400, &[], r#"{"error":{"message":"unknown parameter foo"}}"#)),
            "parameters",
            FailureKind::Transport,
        ),
        (
            Err(ProviderError::new(ErrorKind::Blocked, "CORS refused")),
            "blocked",
            FailureKind::Transport,
        ),
        (
            Ok(response(400, &[], r#"{"error":{"message":"maximum context length exceeded"}}"#)),
            "context length",
            FailureKind::Content,
        ),
    ];
    for (result, needle, kind) in cases {
        let mut shell = Shell::without_cache(1);
        let call = shell.submit(ModelRole::Task, "q");
        shell.poll();
        shell.answer(result);
        let Reply::Failed { failure, error } = &shell.replies[&call] else { panic!() };
        assert_eq!(*failure, kind, "{error}");
        assert!(error.contains(needle), "{error} should mention {needle}");
        assert_eq!(shell.machine.next_wake(shell.now), None, "no retry scheduled: {error}");
    }
}

// A wrong key pauses the run, but the engine hears of it only after the reply is handed back
// (in the browser, from another thread): until then the endpoint must not start the calls
// still queued, or each of them is refused too.
#[test]
fn a_refused_call_holds_its_endpoint_until_the_run_resumes() {
    let mut shell = Shell::without_cache(1);
    let first = shell.submit(ModelRole::Task, "a");
    let waiting: Vec<CallId> =
        ["b", "c", "d"].iter().map(|q| shell.submit(ModelRole::Task, q)).collect();
    shell.poll();
    assert_eq!(shell.sends.len(), 1);
    shell.answer(Ok(response(401, &[], r#"{"error":{"message":"bad key"}}"#)));
    assert!(matches!(shell.replies[&first], Reply::Failed { .. }));
    assert!(shell.sends.is_empty(), "nothing else is sent to the refusing endpoint");
    assert_eq!(shell.machine.next_wake(shell.now), None);
    let other = shell.submit(ModelRole::Reflection, "elsewhere");
    shell.poll();
    assert_eq!(shell.sends.len(), 1, "other endpoints go on");
    shell.answer(ok());
    assert!(shell.replies.contains_key(&other));
    // Resumed (with a fixed key): the waiting calls go out again, in order.
    shell.machine.forgive();
    shell.poll();
    assert_eq!(shell.sends.iter().map(|s| s.0).collect::<Vec<_>>(), waiting[..1]);
}

#[test]
fn a_fixed_endpoint_applies_to_waiting_calls_and_retries_and_gets_fresh_patience() {
    let mut shell = Shell::without_cache(1);
    shell.submit(ModelRole::Task, "q");
    shell.submit(ModelRole::Task, "r");
    shell.poll();
    assert_eq!(shell.sends.len(), 1, "r waits for the only slot");
    shell.machine.set_endpoints(endpoints("http://127.0.0.1:3/v1"));
    shell.poll();
    assert_eq!(shell.sends[1].2.url, "http://127.0.0.1:3/v1/chat/completions", "r moved over");
    shell.answer(Err(ProviderError::new(ErrorKind::Network, "refused")));
    assert!(shell.machine.status(shell.now)[0].retrying());
    shell.machine.set_endpoints(endpoints("http://127.0.0.1:3/v1"));
    assert!(!shell.machine.status(shell.now).iter().any(EndpointStatus::retrying));
    shell.answer(ok());
    shell.sleep();
    assert_eq!(shell.sends.len(), 1);
    assert_eq!(shell.sends[0].2.url, "http://127.0.0.1:3/v1/chat/completions", "q retries there");
}

#[test]
fn cancelling_frees_the_slots_and_late_answers_are_ignored() {
    let mut shell = Shell::without_cache(2);
    shell.submit(ModelRole::Task, "a");
    shell.submit(ModelRole::Task, "b");
    shell.submit(ModelRole::Task, "c");
    shell.poll();
    shell.machine.cancel_all();
    assert_eq!((shell.machine.pending(), shell.machine.in_flight()), (0, 0));
    shell.answer(ok());
    assert!(shell.replies.is_empty(), "an answer to a cancelled call is dropped");
    shell.sends.clear();
    shell.submit(ModelRole::Task, "d");
    shell.submit(ModelRole::Task, "e");
    shell.poll();
    assert_eq!(shell.sends.len(), 2, "both slots are free again");
}

#[test]
fn the_same_script_gives_the_same_schedule() {
    let run = || {
        let mut shell = Shell::without_cache(3);
        for i in 0..6 {
            shell.submit(ModelRole::Task, &format!("q{i}"));
        }
        shell.poll();
        let mut log = Vec::new();
        for step in 0..30 {
            if shell.sends.is_empty() {
                if shell.machine.next_wake(shell.now).is_none() {
                    break;
                }
                log.push(format!("slept {}", shell.sleep()));
                continue;
            }
            let result = if step % 3 == 0 { Ok(response(503, &[], "")) } else { ok() };
            log.push(format!("{:?}", shell.answer(result)));
        }
        (log, shell.replies.len())
    };
    assert_eq!(run(), run());
    assert_eq!(run().1, 6);
}

#[test]
fn replies_are_priced_by_model() {
    let mut prices = PriceTable::default();
    prices.0.insert(
        "small".into(),
        crate::price::Price { input_per_mtok: 1_000_000.0, output_per_mtok: 0.0 },
    );
    let mut machine = CallMachine::new(
        endpoints("http://127.0.0.1:1/v1"),
        CallSettings { use_cache: false, ..CallSettings::default() },
        prices,
        1,
    );
    let call = machine.submit(ModelRole::Task, vec![ChatMessage::user("q")]);
    let Some(Action::Send { attempt, .. }) = machine.poll(0).pop() else { panic!() };
    machine.sent(call, attempt, ok(), 10);
    let Some(Action::Reply { reply: Reply::Text { usage, .. }, .. }) = machine.poll(10).pop()
    else {
        panic!()
    };
    assert_eq!(usage.cost_usd, Some(3.0));
}

#[test]
fn waiting_calls_can_be_withdrawn_but_calls_in_flight_cannot() {
    let mut shell = Shell::without_cache(1);
    let running = shell.submit(ModelRole::Task, "a");
    let waiting = shell.submit(ModelRole::Task, "b");
    shell.poll();
    assert!(!shell.machine.withdraw(running), "in flight: its reply will still come");
    assert!(shell.machine.withdraw(waiting));
    assert!(!shell.machine.withdraw(waiting), "already gone");
    shell.answer(ok());
    assert!(shell.sends.is_empty(), "the withdrawn call is never sent");
    assert_eq!((shell.machine.pending(), shell.replies.len()), (0, 1));
}

#[test]
fn one_call_can_be_cancelled_in_flight_and_its_slot_is_freed() {
    let mut shell = Shell::without_cache(1);
    let running = shell.submit(ModelRole::Task, "a");
    shell.submit(ModelRole::Task, "b");
    shell.poll();
    shell.machine.cancel(running);
    shell.poll();
    assert_eq!(shell.sends.len(), 2, "b took the freed slot");
    shell.answer(ok());
    assert!(shell.replies.is_empty(), "the cancelled call's late answer is ignored");
    shell.answer(ok());
    assert_eq!((shell.replies.len(), shell.machine.in_flight()), (1, 0));
}
