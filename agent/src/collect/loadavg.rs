//! `/proc/loadavg` -> `resources.load`.

use super::ParseError;

/// The three load averages (1, 5, 15 minutes).
pub fn parse(text: &str) -> Result<Vec<f64>, ParseError> {
    let load: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .map(|f| f.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0))
        .collect::<Option<_>>()
        .ok_or_else(|| ParseError::new(format!("not three load averages: {text:?}")))?;
    if load.len() == 3 {
        Ok(load)
    } else {
        Err(ParseError::new(format!(
            "not three load averages: {text:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_the_first_three_fields() {
        assert_eq!(
            parse("2.05 1.10 0.50 3/412 9981\n").unwrap(),
            vec![2.05, 1.1, 0.5]
        );
    }

    #[test]
    fn rejects_truncated_and_garbage() {
        for bad in ["", "0.5 0.6", "0.5 x 0.7 1/2 3", "nan 1 1", "-1 0 0"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
