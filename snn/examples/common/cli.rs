//! Command-line checks shared by the examples (`#[path]` include:
//! `#[path = "../common/cli.rs"] mod cli;`).
//!
//! - Value parsers for clap (`#[arg(value_parser = cli::positive)]`): each
//!   turns the text of one option into a number, or into a sentence naming
//!   the value, what is wrong with it and the allowed range. Clap prefixes
//!   the sentence with the option: `error: invalid value 'inf' for
//!   '--duration <MS>': inf is infinite: the value must be a finite number
//!   greater than 0`, and exits with status 2.
//! - [`exit_on_error`]: prints an error returned by an example as
//!   sentences, `error: ...` and one `  caused by: ...` per source, to
//!   stderr, and exits with status 1.
//!
//! Not an example itself: cargo discovers `examples/*.rs` and
//! `examples/*/main.rs`, and this directory has no `main.rs`. The unit
//! tests at the end run in `snn/tests/it/examples_cli.rs`, which includes
//! this file.

#![allow(dead_code)]

use std::error::Error;
use std::io::Write as _;
use std::path::Path;

/// A finite number greater than 0: durations, intervals, scales without an
/// upper limit.
pub fn positive(s: &str) -> Result<f64, String> {
    number(s, "a finite number greater than 0", |x| x > 0.0)
}

/// A finite number of at least 0: transients, weight factors.
pub fn non_negative(s: &str) -> Result<f64, String> {
    number(s, "a finite number of at least 0", |x| x >= 0.0)
}

/// A number greater than 0 and at most 1: fractions of a model kept.
pub fn fraction(s: &str) -> Result<f64, String> {
    number(s, "a number greater than 0 and at most 1", |x| {
        x > 0.0 && x <= 1.0
    })
}

/// A number from 0 to 1, both included: probabilities.
pub fn probability(s: &str) -> Result<f64, String> {
    number(s, "a number from 0 to 1", |x| (0.0..=1.0).contains(&x))
}

/// A whole number of at least 1: counts (repetitions, substeps).
pub fn count(s: &str) -> Result<u32, String> {
    whole(s, 1)
}

/// A parser of whole numbers of at least `min` (and at most `u32::MAX`),
/// for counts with a larger minimum: `value_parser = cli::count_at_least(3)`.
pub fn count_at_least(min: u32) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync {
    move |s: &str| whole(s, min)
}

/// `s` as a finite number for which `ok` holds; otherwise the sentence
/// "<value> <problem>: the value must be <allowed>".
fn number(s: &str, allowed: &str, ok: impl Fn(f64) -> bool) -> Result<f64, String> {
    let problem = match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && ok(x) => return Ok(x),
        Ok(x) if x.is_nan() => format!("{s} is not a number"),
        Ok(x) if x.is_infinite() => format!("{s} is infinite"),
        Ok(_) => format!("{s} is out of range"),
        Err(_) => format!("`{s}` is not a number"),
    };
    Err(format!("{problem}: the value must be {allowed}"))
}

/// `s` as a whole number from `min` to `u32::MAX`; otherwise a sentence as
/// [`number`]'s.
fn whole(s: &str, min: u32) -> Result<u32, String> {
    let problem = match s.trim().parse::<i128>() {
        Ok(n) => match u32::try_from(n) {
            Ok(n) if n >= min => return Ok(n),
            _ => format!("{s} is out of range"),
        },
        Err(_) => format!("`{s}` is not a whole number"),
    };
    Err(format!(
        "{problem}: the value must be a whole number from {min} to {}",
        u32::MAX
    ))
}

/// A `map_err` adding the file or directory to an I/O error, which names
/// neither: `fs::write(&p, data).map_err(cli::at_path(&p))?` fails with
/// `"<p>: Permission denied (os error 13)"`.
pub fn at_path(path: &Path) -> impl FnOnce(std::io::Error) -> String + '_ {
    move |e| format!("{}: {e}", path.display())
}

/// The value of an `Ok`; for an `Err`, prints [`error_chain`] of the error
/// to stderr and exits with status 1. For `main`:
/// `cli::exit_on_error(run(Args::parse()))`.
pub fn exit_on_error<T, E: Into<Box<dyn Error>>>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => {
            let _ = std::io::stdout().flush();
            eprintln!("{}", error_chain(e.into().as_ref()));
            std::process::exit(1)
        }
    }
}

/// `error: <err>`, then `  caused by: <source>` for each source in the
/// chain, one line each (no trailing newline). A source whose text is
/// already part of the lines before (a `"{path}: {source}"` message, or a
/// transparent wrapper) is left out.
pub fn error_chain(err: &dyn Error) -> String {
    let mut out = format!("error: {err}");
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(&format!("\n  caused by: {text}"));
        }
        next = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    /// Asserts that `result` is an error mentioning each of `words`.
    fn assert_err<T: fmt::Debug>(result: Result<T, String>, words: &[&str]) {
        let message = result.expect_err("should be rejected");
        for w in words {
            assert!(message.contains(w), "{message:?} does not mention {w:?}");
        }
    }

    #[test]
    fn positive_takes_finite_numbers_above_zero() {
        assert_eq!(positive("0.5"), Ok(0.5));
        assert_eq!(positive(" 1e3 "), Ok(1000.0));
        assert_err(positive("inf"), &["inf is infinite", "greater than 0"]);
        assert_err(positive("-inf"), &["-inf is infinite"]);
        assert_err(positive("nan"), &["nan is not a number", "finite"]);
        assert_err(positive("0"), &["0 is out of range", "greater than 0"]);
        assert_err(positive("-1"), &["-1 is out of range", "greater than 0"]);
        assert_err(positive("ten"), &["`ten` is not a number"]);
    }

    #[test]
    fn non_negative_takes_zero() {
        assert_eq!(non_negative("0"), Ok(0.0));
        assert_eq!(non_negative("200"), Ok(200.0));
        assert_err(
            non_negative("-0.1"),
            &["-0.1 is out of range", "at least 0"],
        );
        assert_err(non_negative("inf"), &["inf is infinite", "finite"]);
        assert_err(non_negative("NaN"), &["NaN is not a number"]);
    }

    #[test]
    fn fraction_is_above_zero_and_at_most_one() {
        assert_eq!(fraction("1"), Ok(1.0));
        assert_eq!(fraction("0.01"), Ok(0.01));
        assert_err(
            fraction("0"),
            &["0 is out of range", "greater than 0 and at most 1"],
        );
        assert_err(fraction("1.5"), &["1.5 is out of range", "at most 1"]);
        assert_err(fraction("inf"), &["inf is infinite"]);
        assert_err(fraction("nan"), &["nan is not a number"]);
    }

    #[test]
    fn probability_includes_both_ends() {
        assert_eq!(probability("0"), Ok(0.0));
        assert_eq!(probability("1"), Ok(1.0));
        assert_eq!(probability("0.02"), Ok(0.02));
        assert_err(
            probability("-0.5"),
            &["-0.5 is out of range", "from 0 to 1"],
        );
        assert_err(probability("2"), &["2 is out of range", "from 0 to 1"]);
        assert_err(probability("nan"), &["nan is not a number"]);
        assert_err(probability("inf"), &["inf is infinite"]);
    }

    #[test]
    fn counts_are_whole_numbers_from_the_minimum() {
        assert_eq!(count("1"), Ok(1));
        assert_eq!(count("4000"), Ok(4000));
        assert_err(count("0"), &["0 is out of range", "from 1 to 4294967295"]);
        assert_err(count("-3"), &["-3 is out of range"]);
        assert_err(count("4294967296"), &["4294967296 is out of range"]);
        assert_err(count("1.5"), &["`1.5` is not a whole number"]);
        assert_err(count("inf"), &["`inf` is not a whole number"]);
        let at_least_3 = count_at_least(3);
        assert_eq!(at_least_3("3"), Ok(3));
        assert_err(at_least_3("2"), &["2 is out of range", "from 3 to"]);
    }

    /// An error with an optional source and a fixed text.
    #[derive(Debug)]
    struct Failure {
        text: String,
        source: Option<Box<Failure>>,
    }

    impl Failure {
        /// A failure with `text`, caused by `source`.
        fn new(text: &str, source: Option<Failure>) -> Failure {
            Failure {
                text: text.to_string(),
                source: source.map(Box::new),
            }
        }
    }

    impl fmt::Display for Failure {
        fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(&self.text)
        }
    }

    impl Error for Failure {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.source.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    #[test]
    fn at_path_names_the_file() {
        let path = Path::new("/dev/null/out");
        let e = std::fs::create_dir_all(path).map_err(at_path(path));
        let message = e.expect_err("/dev/null is no directory");
        assert!(message.starts_with("/dev/null/out: "), "{message}");
    }

    #[test]
    fn chain_prints_each_source_once() {
        let alone = Failure::new("no network", None);
        assert_eq!(error_chain(&alone), "error: no network");
        let inner = Failure::new("permission denied", None);
        let middle = Failure::new("cannot open out/x.npy", Some(inner));
        let outer = Failure::new("saving spikes failed", Some(middle));
        assert_eq!(
            error_chain(&outer),
            "error: saving spikes failed\n  caused by: cannot open out/x.npy\n  \
             caused by: permission denied"
        );
    }

    #[test]
    fn chain_leaves_out_text_already_printed() {
        let io = Failure::new("No such file or directory (os error 2)", None);
        let wrapped = Failure::new(
            "ck.snnckpt: No such file or directory (os error 2)",
            Some(io),
        );
        // A transparent wrapper: the same text as its source.
        let transparent = Failure::new(&wrapped.text.clone(), Some(wrapped));
        assert_eq!(
            error_chain(&transparent),
            "error: ck.snnckpt: No such file or directory (os error 2)"
        );
    }
}
