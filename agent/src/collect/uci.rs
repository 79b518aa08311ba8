//! A small reader for UCI files (`/etc/config/*`), enough for the options the agent needs.
//!
//! Grammar handled: `config TYPE ['NAME']`, `option KEY 'VALUE'`, `list KEY 'VALUE'`,
//! values bare or in single or double quotes, `#` comments, any indentation. Anonymous
//! sections get no name (`@type[i]` addressing is by position in the returned list).
//! Not handled (the agent never needs it): line continuations and escaped quotes.

/// One `config` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    pub name: Option<String>,
    /// Options and list values in file order; a `list` key appears once per value.
    pub options: Vec<(String, String)>,
}

impl Section {
    /// The last value of `key` (a repeated `option` overrides the earlier one).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key` (for `list` options).
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        self.options
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a line into words, honouring quotes; `None` on an unterminated quote.
fn words(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = line.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '#' {
            break;
        } else if c == '\'' || c == '"' {
            chars.next();
            let mut word = String::new();
            let mut closed = false;
            for x in chars.by_ref() {
                if x == c {
                    closed = true;
                    break;
                }
                word.push(x);
            }
            if !closed {
                return None;
            }
            out.push(word);
        } else {
            let mut word = String::new();
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() {
                    break;
                }
                word.push(x);
                chars.next();
            }
            out.push(word);
        }
    }
    Some(out)
}

/// Parses a UCI file. Lines it cannot understand are skipped (a hand-edited file with one
/// bad line still yields the rest), as `uci` itself would refuse only on commit.
pub fn parse(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        let Some(w) = words(line) else { continue };
        match w.as_slice() {
            [cmd, kind, rest @ ..] if cmd == "config" => sections.push(Section {
                kind: kind.clone(),
                name: rest.first().cloned(),
                options: Vec::new(),
            }),
            [cmd, key, value, ..] if cmd == "option" || cmd == "list" => {
                if let Some(s) = sections.last_mut() {
                    s.options.push((key.clone(), value.clone()));
                }
            }
            _ => {}
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::any;
    use std::fmt::Write;

    #[test]
    fn sections_options_and_lists() {
        let s = parse(
            "# comment\nconfig dnsmasq\n\toption leasefile '/tmp/dhcp.leases'\n\
             \tlist server \"8.8.8.8\"\n    list server 1.1.1.1 # trailing\n\n\
             config interface 'lan'\n\toption device br-lan\n\toption stp '0'\n\toption stp '1'\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].kind.as_str(), s[0].name.as_deref()),
            ("dnsmasq", None)
        );
        assert_eq!(s[0].get("leasefile"), Some("/tmp/dhcp.leases"));
        assert_eq!(
            s[0].all("server").collect::<Vec<_>>(),
            ["8.8.8.8", "1.1.1.1"]
        );
        assert_eq!(s[1].name.as_deref(), Some("lan"));
        assert_eq!(s[1].get("stp"), Some("1"));
    }

    #[test]
    fn bad_lines_are_skipped() {
        let s = parse(
            "option orphan 'x'\nconfig a 'b'\n\toption broken 'unterminated\n\toption ok 'y'\nconfig\n",
        );
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].options, vec![("ok".to_owned(), "y".to_owned())]);
        assert!(parse("").is_empty());
    }

    /// Renders a value the way a person or `uci` might: bare when it can be, else quoted.
    fn render(value: &str, quote: u8) -> String {
        let bare_ok = !value.is_empty()
            && !value.contains(char::is_whitespace)
            && !value.starts_with(['#', '\'', '"']);
        match quote {
            0 if bare_ok => value.to_owned(),
            1 => format!("\"{value}\""),
            _ => format!("'{value}'"),
        }
    }

    proptest::proptest! {
        #[test]
        fn rendered_files_parse_back(
            sections in proptest::collection::vec((
                "[a-z_]{1,8}",
                proptest::option::of("[a-z0-9_]{1,8}"),
                proptest::collection::vec(
                    (any::<bool>(), "[a-z_]{1,8}", "[a-zA-Z0-9 ./:_#*-]{0,16}", 0u8..3, "[ \t]{0,3}"),
                    0..6,
                ),
            ), 0..5),
            comment in any::<bool>(),
        ) {
            let mut text = String::new();
            for (kind, name, options) in &sections {
                write!(text, "config {kind}").unwrap();
                if let Some(n) = name {
                    write!(text, " '{n}'").unwrap();
                }
                text.push('\n');
                if comment {
                    text.push_str("# option ignored 'yes'\n\n");
                }
                for (list, key, value, quote, indent) in options {
                    let cmd = if *list { "list" } else { "option" };
                    writeln!(text, "{indent}{cmd} {key} {}", render(value, *quote)).unwrap();
                }
            }
            let parsed = parse(&text);
            proptest::prop_assert_eq!(parsed.len(), sections.len());
            for (p, (kind, name, options)) in parsed.iter().zip(&sections) {
                proptest::prop_assert_eq!(&p.kind, kind);
                proptest::prop_assert_eq!(&p.name, name);
                let want: Vec<(String, String)> =
                    options.iter().map(|(_, k, v, _, _)| (k.clone(), v.clone())).collect();
                proptest::prop_assert_eq!(&p.options, &want);
            }
        }
    }
}
