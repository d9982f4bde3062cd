use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
    tau: Scalar,
}

fn main() {}
