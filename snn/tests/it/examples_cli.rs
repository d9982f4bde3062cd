//! The examples' command-line checks (`examples/common/cli.rs`): its unit
//! tests (value parsers, error chains) run here, since examples' shared
//! files have no test target of their own; the tests below check the
//! parsers through clap, as the examples use them, and the error chains of
//! the library's own errors.

#[path = "../../examples/common/cli.rs"]
mod cli;

use clap::Parser;
use snn::prelude::*;

/// Options as an example declares them.
#[derive(Parser, Debug)]
#[command(allow_negative_numbers = true)]
struct Args {
    /// Biological time (ms).
    #[arg(long, default_value_t = 1000.0, value_name = "MS", value_parser = cli::positive)]
    duration: f64,
    /// Neurons.
    #[arg(long, default_value_t = 10, value_parser = cli::count_at_least(3))]
    neurons: u32,
    /// Scales, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "0.5", value_parser = cli::fraction)]
    scales: Vec<f64>,
}

/// Clap's message for `args` (after the program name), which must fail.
fn clap_error(args: &[&str]) -> String {
    let argv = std::iter::once("example").chain(args.iter().copied());
    Args::try_parse_from(argv)
        .expect_err("should be rejected")
        .to_string()
}

#[test]
fn clap_names_the_option_the_value_and_the_range() {
    let message = clap_error(&["--duration", "inf"]);
    assert!(message.contains("'inf' for '--duration <MS>'"), "{message}");
    assert!(
        message.contains("inf is infinite: the value must be a finite number greater than 0"),
        "{message}"
    );
    let message = clap_error(&["--neurons", "2"]);
    assert!(message.contains("'--neurons <NEURONS>'"), "{message}");
    assert!(message.contains("from 3 to"), "{message}");
    let message = clap_error(&["--duration", "-5"]);
    assert!(message.contains("-5 is out of range"), "{message}");
    let message = clap_error(&["--scales", "0.1,0"]);
    assert!(message.contains("0 is out of range"), "{message}");
}

#[test]
fn clap_accepts_good_values_and_defaults() {
    let args = Args::try_parse_from(["example", "--duration", "250", "--scales", "0.1,1"])
        .expect("valid arguments");
    assert_eq!(args.duration, 250.0);
    assert_eq!(args.neurons, 10);
    assert_eq!(args.scales, vec![0.1, 1.0]);
}

#[test]
fn a_truncated_checkpoint_is_one_sentence() {
    let net = Network::new(0.1).expect("network");
    let err = snn::checkpoint::resume(Backend::Cpu, &net, "/dev/null")
        .err()
        .expect("/dev/null is no checkpoint");
    let text = cli::error_chain(&err);
    assert!(
        text.starts_with("error: /dev/null: checkpoint is truncated"),
        "{text}"
    );
    assert!(!text.contains("Truncated {"), "{text}");
}

#[test]
fn a_missing_file_prints_the_os_error_once() {
    let net = Network::new(0.1).expect("network");
    let path = std::env::temp_dir().join("snn-examples-cli-missing.snnckpt");
    let err = snn::checkpoint::resume(Backend::Cpu, &net, &path)
        .err()
        .expect("no such file");
    let text = cli::error_chain(&err);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
}
