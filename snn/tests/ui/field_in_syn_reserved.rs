use snn::prelude::*;

#[postsynaptic_model]
pub struct M {
    #[var]
    in_syn: Scalar,
}

fn main() {}
