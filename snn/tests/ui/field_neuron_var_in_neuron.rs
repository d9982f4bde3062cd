use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[neuron_var]
    v: Scalar,
}

fn main() {}
