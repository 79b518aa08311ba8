//! Notification texts: the reference's types `<configuration>_problem` / `_recovery`,
//! with its levels, verbs, e-mail subjects and markdown messages, and the placeholders
//! it fills (`{site.name}`, `{notification.target}`, `{notification.target_link}`,
//! `{notification.verb}`, `{notification.actor.alertsettings.threshold}`).

use serde::Deserialize;

/// The texts of one notification kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// `warning` for problems, `info` for recoveries in the reference.
    pub level: String,
    pub verb: String,
    /// E-mail subject template.
    pub subject: String,
    /// Markdown message template.
    pub message: String,
}

/// Problem and recovery texts of one metric configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Texts {
    pub problem: Text,
    pub recovery: Text,
}

/// A text in the configuration file; missing fields keep the current ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextSpec {
    pub level: Option<String>,
    pub verb: Option<String>,
    pub subject: Option<String>,
    pub message: Option<String>,
}

pub fn apply(mut text: Text, spec: Option<&TextSpec>) -> Text {
    if let Some(s) = spec {
        for (slot, v) in [
            (&mut text.level, &s.level),
            (&mut text.verb, &s.verb),
            (&mut text.subject, &s.subject),
            (&mut text.message, &s.message),
        ] {
            if let Some(v) = v {
                slot.clone_from(v);
            }
        }
    }
    text
}

const TARGET: &str = "[{notification.target}]({notification.target_link})";

fn text(level: &str, verb: &str, subject: &str, message: &str) -> Text {
    Text {
        level: level.to_owned(),
        verb: verb.to_owned(),
        subject: subject.to_owned(),
        message: message.replace("{T}", TARGET),
    }
}

fn problem(verb: &str, subject_tail: &str, message: &str) -> Text {
    text(
        "warning",
        verb,
        &format!("[{{site.name}}] PROBLEM: {{notification.target}} {subject_tail}"),
        message,
    )
}

fn recovery(verb: &str, subject_tail: &str, message: &str) -> Text {
    text(
        "info",
        verb,
        &format!("[{{site.name}}] RECOVERY: {{notification.target}} {subject_tail}"),
        message,
    )
}

/// Texts for a metric added in the configuration file without its own.
pub fn generic(label: &str) -> Texts {
    Texts {
        problem: problem(
            &format!("has a problem with {label}"),
            "{notification.verb}",
            "The device {T} {notification.verb}.",
        ),
        recovery: recovery(
            &format!("{label} has returned to normal"),
            "{notification.verb}",
            "The device {T} {notification.verb}.",
        ),
    }
}

/// The "peak in" texts of cpu, memory and disk.
fn peak(what: &str) -> Texts {
    Texts {
        problem: problem(
            "is experiencing a peak in",
            &format!("{{notification.verb}} {what} usage"),
            &format!(
                "The device {{T}} {{notification.verb}} {what} usage which has gone over \
                 {{notification.actor.alertsettings.threshold}}%."
            ),
        ),
        recovery: recovery(
            "has returned to normal levels",
            &format!("{what} usage {{notification.verb}}"),
            &format!("The device {{T}} {what} usage {{notification.verb}}."),
        ),
    }
}

/// The reference's texts for a default metric configuration.
pub fn defaults(configuration: &str) -> Option<Texts> {
    let same = "The device {T} {notification.verb}.";
    Some(match configuration {
        "ping" => Texts {
            problem: problem("is not reachable", "{notification.verb}", same),
            recovery: recovery("is reachable again", "{notification.verb}", same),
        },
        "config_applied" => Texts {
            problem: problem(
                "has not been applied",
                "configuration status issue",
                "The configuration of device {T} {notification.verb} in a timely manner.",
            ),
            recovery: recovery(
                "configuration has been applied again",
                "{notification.verb} successfully",
                "The configuration of device {T} {notification.verb} successfully.",
            ),
        },
        "data_collected" => Texts {
            problem: problem(
                "has not been sending",
                "{notification.verb} monitoring data",
                "The {T} device {notification.verb} monitoring data.",
            ),
            recovery: recovery(
                "has resumed sending",
                "{notification.verb} monitoring data",
                "The {T} device {notification.verb} monitoring data.",
            ),
        },
        "disk" => peak("disk"),
        "memory" => peak("RAM"),
        "cpu" => peak("CPU"),
        "wifi_clients_max" => Texts {
            problem: problem(
                "exceeds the expected threshold",
                "has too many WiFi clients",
                "The WiFi client count on {T} {notification.verb}.",
            ),
            // The reference's message has two spaces after "on"; kept for identical texts.
            recovery: recovery(
                "has decreased",
                "WiFi client count has returned to normal",
                "The WiFi client count on  {T} {notification.verb} and is now within the \
                 expected range.",
            ),
        },
        "wifi_clients_min" => Texts {
            problem: problem(
                "is below the expected threshold",
                "has too few WiFi clients",
                "The WiFi client count on {T} {notification.verb}.",
            ),
            recovery: recovery(
                "has increased",
                "has WiFi clients connecting again",
                "The WiFi client count on {T} {notification.verb} and is now within the \
                 expected range.",
            ),
        },
        _ => return None,
    })
}

/// What the placeholders stand for.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub site_name: &'a str,
    pub target: &'a str,
    pub target_link: &'a str,
    pub threshold: f64,
}

/// A template with its placeholders filled; the verb is substituted first so a verb may
/// not inject other placeholders' values.
pub fn render(template: &str, verb: &str, cx: &Context<'_>) -> String {
    // `{:?}` prints floats as Python's `str(float)` does for ordinary values (`90.0`).
    let threshold = format!("{:?}", cx.threshold);
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            out.push_str(after);
            return out;
        };
        let value = match &after[1..end] {
            "site.name" => Some(cx.site_name),
            "notification.target" => Some(cx.target),
            "notification.target_link" => Some(cx.target_link),
            "notification.verb" => Some(verb),
            "notification.actor.alertsettings.threshold" => Some(threshold.as_str()),
            _ => None,
        };
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&after[..=end]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context {
            site_name: "example.com",
            target: "ap-1",
            target_link: "https://example.com/device/1",
            threshold: 90.0,
        }
    }

    #[test]
    fn cpu_problem_as_the_reference_writes_it() {
        let t = defaults("cpu").unwrap().problem;
        assert_eq!(t.level, "warning");
        assert_eq!(
            render(&t.subject, &t.verb, &cx()),
            "[example.com] PROBLEM: ap-1 is experiencing a peak in CPU usage"
        );
        assert_eq!(
            render(&t.message, &t.verb, &cx()),
            "The device [ap-1](https://example.com/device/1) is experiencing a peak in CPU \
             usage which has gone over 90.0%."
        );
    }

    #[test]
    fn recovery_subjects() {
        let c = cx();
        let r = |name: &str| {
            let t = defaults(name).unwrap().recovery;
            assert_eq!(t.level, "info");
            render(&t.subject, &t.verb, &c)
        };
        assert_eq!(r("ping"), "[example.com] RECOVERY: ap-1 is reachable again");
        assert_eq!(
            r("memory"),
            "[example.com] RECOVERY: ap-1 RAM usage has returned to normal levels"
        );
        assert_eq!(
            r("config_applied"),
            "[example.com] RECOVERY: ap-1 configuration has been applied again successfully"
        );
        assert_eq!(
            r("data_collected"),
            "[example.com] RECOVERY: ap-1 has resumed sending monitoring data"
        );
    }

    #[test]
    fn data_collected_message_and_unknown_placeholders() {
        let t = defaults("data_collected").unwrap().problem;
        assert_eq!(
            render(&t.message, &t.verb, &cx()),
            "The [ap-1](https://example.com/device/1) device has not been sending monitoring \
             data."
        );
        assert_eq!(render("{x} {site.name} {", "v", &cx()), "{x} example.com {");
    }

    #[test]
    fn every_alerting_default_has_texts_and_metrics_without_alerts_have_none() {
        for name in [
            "ping",
            "config_applied",
            "data_collected",
            "disk",
            "memory",
            "cpu",
            "wifi_clients_max",
            "wifi_clients_min",
        ] {
            assert!(defaults(name).is_some(), "{name}");
        }
        assert!(defaults("traffic").is_none());
    }
}
