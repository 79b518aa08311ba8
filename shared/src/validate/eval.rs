//! Draft-07 evaluation of the keywords the schema uses, and python-jsonschema's
//! `best_match` choice among the errors, so that a rejection names the same place and
//! says the same thing as the reference server.

use super::ip;
use super::pyrepr::{repr, repr_str};
use super::schema::{Format, Kw, Schema, Ty};
use serde_json::Value;
use std::cmp::Ordering;

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

impl std::fmt::Display for PathSegment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathSegment::Key(key) => f.write_str(key),
            PathSegment::Index(index) => write!(f, "{index}"),
        }
    }
}

/// What failed, with what the message needs.
#[derive(Debug)]
enum Failure {
    Type(Ty),
    Enum(&'static [&'static str]),
    Required(&'static str),
    Additional(Vec<String>),
    Unique,
    MinItems(usize),
    MaxItems(usize),
    MinLength(usize),
    MaxLength(usize),
    Pattern,
    Format(Format),
    AnyOf,
}

#[derive(Debug)]
struct Error<'v> {
    /// Relative to the instance the evaluation started from (the document, or the
    /// instance of the enclosing `anyOf` for context errors), as python-jsonschema's `path`.
    path: Vec<PathSegment>,
    failure: Failure,
    /// The (sub)schema whose keyword failed.
    schema: &'static Schema,
    instance: &'v Value,
    /// For `anyOf`: the errors of every branch.
    context: Vec<Error<'v>>,
}

impl Error<'_> {
    fn message(&self) -> String {
        let inst = || repr(self.instance);
        match &self.failure {
            Failure::Type(ty) => format!("{} is not of type {}", inst(), repr_str(ty.name())),
            Failure::Enum(options) => {
                let options: Vec<String> = options.iter().map(|o| repr_str(o)).collect();
                format!("{} is not one of [{}]", inst(), options.join(", "))
            }
            Failure::Required(name) => format!("{} is a required property", repr_str(name)),
            Failure::Additional(extras) => {
                let verb = if extras.len() == 1 { "was" } else { "were" };
                let names: Vec<String> = extras.iter().map(|e| repr_str(e)).collect();
                format!(
                    "Additional properties are not allowed ({} {verb} unexpected)",
                    names.join(", ")
                )
            }
            Failure::Unique => format!("{} has non-unique elements", inst()),
            Failure::MinItems(n) | Failure::MinLength(n) => {
                let what = if *n == 1 {
                    "should be non-empty"
                } else {
                    "is too short"
                };
                format!("{} {what}", inst())
            }
            Failure::MaxItems(n) | Failure::MaxLength(n) => {
                let what = if *n == 0 {
                    "is expected to be empty"
                } else {
                    "is too long"
                };
                format!("{} {what}", inst())
            }
            Failure::Pattern => format!("{} does not match {}", inst(), repr_str("^[0-9]*$")),
            Failure::Format(format) => {
                format!("{} is not a {}", inst(), repr_str(format.name()))
            }
            Failure::AnyOf => format!("{} is not valid under any of the given schemas", inst()),
        }
    }

    fn is_weak(&self) -> bool {
        matches!(self.failure, Failure::AnyOf)
    }

    fn matches_type(&self) -> bool {
        self.schema
            .ty()
            .is_some_and(|ty| is_type(self.instance, ty))
    }

    /// python-jsonschema's `relevance` key: shallower, then later path, then not weak,
    /// then (no strong keywords here) not matching the schema's type ranks higher.
    fn relevance(&self, other: &Self) -> Ordering {
        other
            .path
            .len()
            .cmp(&self.path.len())
            .then_with(|| self.path.cmp(&other.path))
            .then_with(|| (!self.is_weak()).cmp(&!other.is_weak()))
            .then_with(|| (!self.matches_type()).cmp(&!other.matches_type()))
    }
}

/// The error python-jsonschema's `best_match` would report: (path from the document root,
/// message).
pub(crate) fn best_match(
    schema: &'static Schema,
    doc: &Value,
) -> Option<(Vec<PathSegment>, String)> {
    let mut errors = Vec::new();
    eval(schema, doc, &mut Vec::new(), &mut errors);
    // `max` keeps the first of equally relevant errors.
    let mut best = errors.into_iter().reduce(|best, e| {
        if e.relevance(&best) == Ordering::Greater {
            e
        } else {
            best
        }
    })?;
    let mut prefix = Vec::new();
    loop {
        // Descend into `anyOf` context unless its two least relevant errors tie.
        let mut ranked: Vec<&Error> = best.context.iter().collect();
        ranked.sort_by(|a, b| a.relevance(b)); // stable, like heapq.nsmallest
        match ranked.as_slice() {
            [] => break,
            [first, second, ..] if first.relevance(second) == Ordering::Equal => break,
            _ => {}
        }
        let index = best
            .context
            .iter()
            .position(|e| std::ptr::eq(e, ranked[0]))
            .expect("ranked errors come from the context");
        prefix.extend(best.path.iter().cloned());
        best = best.context.swap_remove(index);
    }
    let message = best.message();
    prefix.extend(best.path);
    Some((prefix, message))
}

/// Whether `value` has the JSON type `ty` under draft-07 rules as python-jsonschema applies
/// them: booleans are not numbers, and a float with no fractional part is an integer.
pub(crate) fn is_type(value: &Value, ty: Ty) -> bool {
    match (ty, value) {
        (Ty::Object, Value::Object(_))
        | (Ty::Array, Value::Array(_))
        | (Ty::String, Value::String(_))
        | (Ty::Number, Value::Number(_))
        | (Ty::Boolean, Value::Bool(_)) => true,
        (Ty::Integer, Value::Number(n)) => {
            n.is_i64()
                || n.is_u64()
                || n.as_f64()
                    .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
        }
        _ => false,
    }
}

fn eval<'v>(
    schema: &'static Schema,
    value: &'v Value,
    path: &mut Vec<PathSegment>,
    out: &mut Vec<Error<'v>>,
) {
    let fail = |failure, out: &mut Vec<Error<'v>>, path: &Vec<PathSegment>| {
        out.push(Error {
            path: path.clone(),
            failure,
            schema,
            instance: value,
            context: Vec::new(),
        });
    };
    for kw in schema.0 {
        match (kw, value) {
            (Kw::Type(ty), _) if !is_type(value, *ty) => fail(Failure::Type(*ty), out, path),
            (Kw::Enum(options), _) if !options.iter().any(|o| value.as_str() == Some(o)) => {
                fail(Failure::Enum(options), out, path);
            }
            (Kw::Properties(props), Value::Object(map)) => {
                for (name, sub) in *props {
                    if let Some(member) = map.get(*name) {
                        path.push(PathSegment::Key((*name).to_owned()));
                        eval(sub, member, path, out);
                        path.pop();
                    }
                }
            }
            (Kw::Required(names), Value::Object(map)) => {
                for name in *names {
                    if !map.contains_key(*name) {
                        fail(Failure::Required(name), out, path);
                    }
                }
            }
            (Kw::NoAdditionalProperties, Value::Object(map)) => {
                let mut extras: Vec<String> = map
                    .keys()
                    .filter(|key| !schema.property_names().any(|name| name == key.as_str()))
                    .cloned()
                    .collect();
                if !extras.is_empty() {
                    extras.sort();
                    fail(Failure::Additional(extras), out, path);
                }
            }
            (Kw::Items(sub), Value::Array(items)) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(PathSegment::Index(index));
                    eval(sub, item, path, out);
                    path.pop();
                }
            }
            (Kw::UniqueItems, Value::Array(items)) if !all_unique(items) => {
                fail(Failure::Unique, out, path);
            }
            (Kw::MinItems(n), Value::Array(items)) if items.len() < *n => {
                fail(Failure::MinItems(*n), out, path);
            }
            (Kw::MaxItems(n), Value::Array(items)) if items.len() > *n => {
                fail(Failure::MaxItems(*n), out, path);
            }
            (Kw::MinLength(n), Value::String(s)) if s.chars().count() < *n => {
                fail(Failure::MinLength(*n), out, path);
            }
            (Kw::MaxLength(n), Value::String(s)) if s.chars().count() > *n => {
                fail(Failure::MaxLength(*n), out, path);
            }
            (Kw::PatternDigits, Value::String(s)) if !digits_pattern(s) => {
                fail(Failure::Pattern, out, path);
            }
            (Kw::Format(format), Value::String(s)) if !format_ok(*format, s) => {
                fail(Failure::Format(*format), out, path);
            }
            (Kw::AnyOf(branches), _) => {
                let mut context = Vec::new();
                let mut matched = false;
                for branch in *branches {
                    let before = context.len();
                    eval(branch, value, &mut Vec::new(), &mut context);
                    if context.len() == before {
                        matched = true;
                        break;
                    }
                }
                if !matched {
                    out.push(Error {
                        path: path.clone(),
                        failure: Failure::AnyOf,
                        schema,
                        instance: value,
                        context,
                    });
                }
            }
            _ => {}
        }
    }
}

/// `re.search("^[0-9]*$", s)`: Python's `$` also matches before one final newline.
fn digits_pattern(s: &str) -> bool {
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.bytes().all(|b| b.is_ascii_digit())
}

fn format_ok(format: Format, s: &str) -> bool {
    match format {
        Format::Ipv4 => ip::is_ipv4(s),
        Format::Ipv6 => ip::is_ipv6(s),
    }
}

fn all_unique(items: &[Value]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[i + 1..].iter().all(|b| !py_equal(a, b)))
}

/// python-jsonschema's `equal`: JSON equality where `true` is not `1` but `1` is `1.0`.
pub(crate) fn py_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => numbers_equal(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| py_equal(v, w)))
        }
        _ => false,
    }
}

/// Exact numeric equality, as Python compares `int` and `float`.
fn numbers_equal(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    fn as_i128(n: &serde_json::Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (as_i128(x), as_i128(y)) {
        (Some(a), Some(b)) => a == b,
        (Some(i), None) => float_equals_int(y.as_f64(), i),
        (None, Some(i)) => float_equals_int(x.as_f64(), i),
        (None, None) => x.as_f64() == y.as_f64(),
    }
}

fn float_equals_int(f: Option<f64>, i: i128) -> bool {
    f.is_some_and(|f| {
        // Every i64/u64 magnitude below 2^64 fits f64's exponent; compare exactly by
        // converting the float when it is integral and in range.
        f.fract() == 0.0 && f.abs() < 1.9e19 && {
            #[allow(clippy::cast_possible_truncation)]
            let as_int = f as i128;
            as_int == i
        }
    })
}
