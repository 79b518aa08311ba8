use super::*;
use crate::alerts::rule::{AlertDefaults, Operator};
use proptest::prelude::*;

const MIN: i64 = 60_000_000;
/// An arbitrary "now" far from zero, so negative offsets stay positive times.
const T0: i64 = 1_800_000_000_000_000;

fn rule(op: Operator, threshold: f64, tolerance_min: u64) -> Rule {
    Rule::new(
        &AlertDefaults {
            operator: op,
            threshold,
            tolerance_s: tolerance_min * 60,
            recovery_threshold: None,
        },
        None,
    )
}

/// Feed `(minutes from T0, value)` as fresh points (now = the point's time) and return
/// the outcomes.
fn run(state: &mut MetricState, rule: &Rule, points: &[(i64, f64)]) -> Vec<Outcome> {
    points
        .iter()
        .map(|&(m, v)| {
            let t = T0 + m * MIN;
            state.observe(rule, &EngineConfig::default(), v, t, t, true)
        })
        .collect()
}

fn step(state: &mut MetricState, rule: &Rule, minutes: i64, value: f64) -> Outcome {
    run(state, rule, &[(minutes, value)])[0]
}

#[test]
fn the_reference_tolerance_example() {
    // tolerance 5 min, TI 300 s: 89 @−10m, 92 @0, 95 @+5m → problem; 50 @+6m, 51 @+7m
    // healthy but still in problem; 50 @+12m → recovery.
    let r = rule(Operator::Above, 90.0, 5);
    let mut s = MetricState::default();
    let o = step(&mut s, &r, -10, 89.0);
    assert_eq!(
        (s.is_healthy, s.is_healthy_tolerant),
        (Some(true), Some(true))
    );
    assert!(
        o.first_time && o.notify.is_none(),
        "first healthy value is quiet"
    );

    let o = step(&mut s, &r, 0, 92.0);
    assert_eq!(
        (s.is_healthy, s.is_healthy_tolerant),
        (Some(false), Some(true))
    );
    assert!(o.healthy_changed && !o.tolerant_changed && o.notify.is_none());

    let o = step(&mut s, &r, 5, 95.0);
    assert_eq!(s.is_healthy_tolerant, Some(false));
    assert_eq!(o.notify, Some(Kind::Problem));
    assert!(!o.first_time);

    for m in [6, 7] {
        let o = step(
            &mut s,
            &r,
            m,
            50.0 + f64::from(u8::try_from(m - 6).unwrap()),
        );
        assert_eq!(s.is_healthy, Some(true));
        assert_eq!(s.is_healthy_tolerant, Some(false), "at +{m}m");
        assert_eq!(o.notify, None);
    }

    let o = step(&mut s, &r, 12, 50.0);
    assert_eq!(s.is_healthy_tolerant, Some(true));
    assert_eq!(o.notify, Some(Kind::Recovery));
}

#[test]
fn thirty_minutes_of_tolerance_need_thirty_minutes_of_crossing() {
    let r = rule(Operator::Above, 90.0, 30);
    let mut s = MetricState::default();
    step(&mut s, &r, -1, 10.0);
    for m in 0..30 {
        let o = step(&mut s, &r, m, 99.0);
        assert_eq!(o.notify, None, "no problem at +{m}m");
        assert_eq!(s.is_healthy, Some(false));
    }
    assert_eq!(step(&mut s, &r, 30, 99.0).notify, Some(Kind::Problem));
    assert_eq!(step(&mut s, &r, 31, 99.0).notify, None, "one problem only");
}

#[test]
fn zero_and_sub_interval_tolerances_act_at_once() {
    for tolerance in [0, 1, 4] {
        let r = rule(Operator::Below, 1.0, tolerance);
        let mut s = MetricState::default();
        step(&mut s, &r, 0, 1.0);
        assert_eq!(
            step(&mut s, &r, 1, 0.0).notify,
            Some(Kind::Problem),
            "{tolerance}"
        );
        assert_eq!(
            step(&mut s, &r, 2, 1.0).notify,
            Some(Kind::Recovery),
            "{tolerance}"
        );
    }
}

#[test]
fn a_first_value_in_problem_notifies_a_first_healthy_one_does_not() {
    let r = rule(Operator::Above, 90.0, 0);
    let mut s = MetricState::default();
    let o = step(&mut s, &r, 0, 95.0);
    assert!(o.first_time);
    assert_eq!(o.notify, Some(Kind::Problem));
    let mut s = MetricState::default();
    assert_eq!(step(&mut s, &r, 0, 5.0).notify, None);
}

#[test]
fn the_flapping_guard_restarts_the_wait() {
    let r = rule(Operator::Above, 90.0, 10); // window 10 min (over 2 × TI)
    let mut s = MetricState::default();
    step(&mut s, &r, 0, 50.0);
    for m in 1..=9 {
        step(&mut s, &r, m, 95.0);
    }
    step(&mut s, &r, 10, 50.0); // one good value
    for m in 11..=22 {
        assert_eq!(step(&mut s, &r, m, 95.0).notify, None, "+{m}m");
    }
    // 10 min is two intervals: the window is 12.5 min, which the good value at +10
    // leaves only at +23.
    assert_eq!(step(&mut s, &r, 23, 95.0).notify, Some(Kind::Problem));
}

#[test]
fn backlog_points_never_alert_but_fill_the_window() {
    let r = rule(Operator::Above, 90.0, 0);
    let mut s = MetricState::default();
    let now = T0 + 60 * MIN;
    let cfg = EngineConfig::default();
    // 5 min and one µs old: backlog.
    let o = s.observe(&r, &cfg, 99.0, now - 5 * MIN - 1, now, true);
    assert_eq!(o, Outcome::default());
    assert_eq!((s.is_healthy, s.is_healthy_tolerant), (None, None));
    assert_eq!(s.remembered(), 1);
    // Exactly 5 min old: still checked.
    let o = s.observe(&r, &cfg, 99.0, now - 5 * MIN, now, true);
    assert!(o.checked);
    assert_eq!(o.notify, Some(Kind::Problem));
}

#[test]
fn replayed_history_does_not_alert_then_live_data_does_after_the_tolerance() {
    let r = rule(Operator::Above, 90.0, 5);
    let cfg = EngineConfig::default();
    let mut s = MetricState::default();
    let now = T0 + 120 * MIN;
    // An hour of backlog in problem, delivered at once.
    for m in 0..60 {
        let o = s.observe(&r, &cfg, 99.0, T0 + m * MIN, now, true);
        assert!(!o.checked);
    }
    assert_eq!(s.is_healthy_tolerant, None);
    // Live points still in problem: the stored backlog counts as history for the window,
    // as the reference's database query sees it, but backlog alone never notified.
    let o = s.observe(&r, &cfg, 99.0, now, now, true);
    assert_eq!(o.notify, None, "backlog is older than the window");
    let later = now + 5 * MIN;
    let o = s.observe(&r, &cfg, 99.0, later, later, true);
    assert_eq!(o.notify, Some(Kind::Problem));
}

#[test]
fn recovery_threshold_holds_the_problem_until_passed() {
    let mut r = rule(Operator::Above, 90.0, 0);
    r.recovery_threshold = Some(80.0);
    r.check().unwrap();
    let mut s = MetricState::default();
    step(&mut s, &r, 0, 10.0);
    assert_eq!(step(&mut s, &r, 1, 91.0).notify, Some(Kind::Problem));
    for (m, v) in [(2, 89.0), (3, 85.0), (4, 80.5), (5, 91.0)] {
        let o = step(&mut s, &r, m, v);
        assert_eq!(o.notify, None, "{v} is above the recovery threshold");
        assert_eq!(s.is_healthy, Some(false), "{v}");
    }
    assert_eq!(step(&mut s, &r, 6, 80.0).notify, Some(Kind::Recovery));
    // Healthy again: the threshold, not the recovery level, applies.
    assert_eq!(step(&mut s, &r, 7, 85.0).notify, None);
    assert_eq!(s.is_healthy, Some(true));
}

#[test]
fn recovery_threshold_with_tolerance_needs_the_whole_window_past_it() {
    let mut r = rule(Operator::Below, 1.0, 10); // window 12.5 min
    r.recovery_threshold = Some(3.0);
    let mut s = MetricState::default();
    step(&mut s, &r, 0, 5.0);
    for m in 1..=12 {
        assert_eq!(step(&mut s, &r, m, 0.0).notify, None, "+{m}m");
    }
    assert_eq!(step(&mut s, &r, 13, 0.0).notify, Some(Kind::Problem));
    for m in 14..=30 {
        // 2 clears the threshold (1) but not the recovery level (3).
        assert_eq!(step(&mut s, &r, m, 2.0).notify, None, "+{m}m");
        assert_eq!(s.is_healthy, Some(false));
    }
    for m in 31..=42 {
        assert_eq!(step(&mut s, &r, m, 5.0).notify, None, "+{m}m");
    }
    assert_eq!(step(&mut s, &r, 43, 5.0).notify, Some(Kind::Recovery));
}

#[test]
fn disabled_rules_and_send_alert_false_track_health_silently() {
    let mut r = rule(Operator::Above, 90.0, 0);
    r.enabled = false;
    let mut s = MetricState::default();
    step(&mut s, &r, 0, 10.0);
    let o = step(&mut s, &r, 1, 99.0);
    assert!(o.tolerant_changed && o.notify.is_none());
    assert_eq!(s.is_healthy_tolerant, Some(false));

    let r = rule(Operator::Above, 90.0, 0);
    let mut s = MetricState::default();
    step(&mut s, &r, 0, 10.0);
    let t = T0 + MIN;
    let o = s.observe(&r, &EngineConfig::default(), 99.0, t, t, false);
    assert!(o.tolerant_changed && o.notify.is_none());
}

#[test]
fn memory_is_bounded_by_the_window_and_a_cap() {
    let r = rule(Operator::Above, 90.0, 5); // window 6.25 min
    let mut s = MetricState::default();
    for m in 0..100 {
        step(&mut s, &r, m, 10.0);
    }
    assert_eq!(s.remembered(), 7, "points at +93..=+99");
    let r = rule(Operator::Above, 90.0, 10_080);
    let mut s = MetricState::default();
    for i in 0..3000 {
        let t = T0 + i * 1_000_000;
        s.observe(&r, &EngineConfig::default(), 1.0, t, t, true);
    }
    assert_eq!(s.remembered(), MAX_POINTS);
}

#[test]
fn non_finite_values_are_ignored() {
    let r = rule(Operator::Above, 90.0, 0);
    let mut s = MetricState::default();
    let o = step(&mut s, &r, 0, f64::NAN);
    assert!(!o.checked);
    assert_eq!(s.is_healthy, None);
}

#[test]
fn reset_forgets_the_flags() {
    let r = rule(Operator::Above, 90.0, 0);
    let mut s = MetricState::default();
    step(&mut s, &r, 0, 99.0);
    s.reset();
    assert_eq!((s.is_healthy, s.is_healthy_tolerant), (None, None));
    assert!(step(&mut s, &r, 1, 99.0).first_time);
}

fn arb_rule() -> impl Strategy<Value = Rule> {
    (
        prop::bool::ANY,
        prop::sample::select(vec![0_u64, 1, 5, 6, 10, 11, 30]),
        prop::option::of(0.0_f64..40.0),
    )
        .prop_map(|(above, tolerance, gap)| {
            let op = if above {
                Operator::Above
            } else {
                Operator::Below
            };
            let mut r = rule(op, 50.0, tolerance);
            r.recovery_threshold = gap.map(|g| if above { 50.0 - g } else { 50.0 + g });
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Notifications alternate: never two problems (or two recoveries) in a row, and the
    /// first is never a recovery.
    #[test]
    fn problems_and_recoveries_alternate(
        r in arb_rule(),
        steps in prop::collection::vec((1_i64..600, 0.0_f64..100.0, 0_i64..600), 1..200),
    ) {
        let mut s = MetricState::default();
        let mut t = T0;
        let mut last = None;
        for (dt, v, lag) in steps {
            t += dt * 1_000_000;
            // Points arrive up to 10 minutes late: some are backlog.
            let o = s.observe(&r, &EngineConfig::default(), v, t, t + lag * 1_000_000, true);
            if let Some(k) = o.notify {
                prop_assert_ne!(Some(k), last);
                if last.is_none() {
                    prop_assert_eq!(k, Kind::Problem);
                }
                last = Some(k);
            }
        }
    }

    /// With a tolerance of at least the interval, a notification comes only after the
    /// value has been on its new side, without interruption, for the whole tolerance.
    #[test]
    fn no_notification_before_the_tolerance(
        r in arb_rule(),
        steps in prop::collection::vec((1_i64..400, 0.0_f64..100.0), 1..200),
    ) {
        let tolerance = i64::try_from(r.tolerance_s).unwrap() * 1_000_000;
        let mut s = MetricState::default();
        let mut t = T0;
        // (time, offending) of every point since the last notification, judged with the
        // state the engine was in.
        let mut run_start: Option<i64> = None;
        let mut previous_side = None;
        for (dt, v) in steps {
            t += dt * 1_000_000;
            let in_problem = s.is_healthy_tolerant == Some(false);
            let side = r.offending(v, in_problem);
            if previous_side != Some(side) {
                run_start = Some(t);
                previous_side = Some(side);
            }
            let o = s.observe(&r, &EngineConfig::default(), v, t, t, true);
            if o.notify.is_some() && tolerance >= 300_000_000 {
                prop_assert!(
                    t - run_start.unwrap() >= tolerance,
                    "notified {} s into a run, tolerance {} s",
                    (t - run_start.unwrap()) / 1_000_000,
                    r.tolerance_s
                );
            }
            if in_problem != (s.is_healthy_tolerant == Some(false)) {
                // The sides are judged against the new state from now on.
                previous_side = None;
                run_start = None;
            }
        }
    }
}

proptest! {
    /// The sorted vector behaves as the `BTreeMap` it replaced (insert, keep the window,
    /// bound the count, read from a start) and serialises to the same bytes, so states
    /// stored before the change still read.
    #[test]
    fn points_behave_and_serialise_like_the_map_they_replaced(
        ops in proptest::collection::vec((0i64..40, -5.0f64..5.0, 0i64..40, 1usize..8), 1..60),
    ) {
        let (mut points, mut model) = (Points::default(), BTreeMap::<i64, f64>::new());
        for (t, v, from, max) in ops {
            points.insert(t, v);
            model.insert(t, v);
            if t % 3 == 0 {
                points.keep(from, max);
                model = model.split_off(&from);
                while model.len() > max {
                    model.pop_first();
                }
            }
            let expected: Vec<(i64, f64)> = model.range(from..).map(|(a, b)| (*a, *b)).collect();
            prop_assert_eq!(points.since(from), expected.as_slice());
            prop_assert_eq!(points.len(), model.len());
            prop_assert_eq!(points.newest(), model.keys().next_back().copied());
            prop_assert_eq!(
                postcard::to_allocvec(&points).unwrap(),
                postcard::to_allocvec(&model).unwrap()
            );
            let back: Points = postcard::from_bytes(&postcard::to_allocvec(&model).unwrap()).unwrap();
            prop_assert_eq!(&back, &points);
            prop_assert_eq!(serde_json::to_string(&points).unwrap(), serde_json::to_string(&model).unwrap());
        }
    }
}

#[test]
fn a_window_keeps_no_spare_room_between_samples() {
    // A sample every 5 minutes: a 30-minute window holds 7 points, 0 minutes 1 point.
    for (tolerance, held) in [(30, 7), (0, 1)] {
        let r = rule(Operator::Above, 90.0, tolerance);
        let mut s = MetricState::default();
        for i in 0..40 {
            step(&mut s, &r, i * 5, 50.0);
        }
        assert_eq!(s.points.len(), held, "tolerance {tolerance}");
        assert!(
            s.points.0.capacity() <= held + 1,
            "tolerance {tolerance}: capacity {} for {held} points",
            s.points.0.capacity()
        );
    }
}
