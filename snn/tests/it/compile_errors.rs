//! Compile-fail and compile-pass tests of the model macros: code outside the
//! translatable subset (and malformed model definitions) must be a compile
//! error pointing at the offending code, and a model using the whole subset
//! must compile and run.
//!
//! Regenerate the expected `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p snn --test it compile_errors`, then read them.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui-pass/*.rs");
}
