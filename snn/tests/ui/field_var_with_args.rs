use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var(0.0)]
    v: Scalar,
}

fn main() {}
