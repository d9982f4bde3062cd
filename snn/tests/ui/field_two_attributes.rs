use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[param]
    #[var]
    v: Scalar,
}

fn main() {}
