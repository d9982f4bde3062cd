//! Every method of every built-in model, printed in both precisions, compiles
//! as strict C99 (`cc -std=c99 -pedantic -Wall -Werror -fsyntax-only`) with
//! the printer's prelude and stub environment functions. The OpenCL C subset
//! is close to C99, so this checks the printed code's syntax and typing for
//! both backends.

use crate::common::{check_syntax, stub_source};
use snn_core::model::ModelDesc;
use snn_core::Precision;
use snn_kernels::cgen::PRELUDE;

/// Every built-in model.
fn builtins() -> Vec<&'static ModelDesc> {
    snn_core::builtin::all_models()
}

#[test]
fn every_builtin_method_compiles_as_c99_in_both_precisions() {
    let mut methods = 0;
    for desc in builtins() {
        assert!(!desc.methods.is_empty(), "{} has no methods", desc.name);
        for p in [Precision::F32, Precision::F64] {
            let src = stub_source(desc, p);
            check_syntax(&format!("{}_{p:?}", desc.name), &src);
            methods += desc.methods.len();
        }
    }
    // 27 models; Lif and LifDelta 3 methods each, Izhikevich(Variable) 2,
    // Poisson 2, SpikeSourceArray 2, the postsynaptic models 2 each, the
    // current sources (DC, GaussianNoise, PoissonExp, PoissonDelta) and static
    // synapses 1 each, the three plastic synapses 4 each; AdEx, AdExCond 2
    // each; AlphaCurr, AlphaCond 2 each; GapJunction 1; TraubMiles,
    // TraubMilesExpEuler and TraubMilesEuler 2 each; TsodyksMarkram 1.
    let core = 3 + 3 + 2 + 2 + 2 + 2 + 2 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 4 + 4 + 4;
    let modules = 2 + 2 + 2 + 2 + 1 + 2 + 2 + 2 + 1;
    assert_eq!(methods, 2 * (core + modules));
}

#[test]
fn the_prelude_alone_compiles() {
    check_syntax("prelude", PRELUDE);
}
