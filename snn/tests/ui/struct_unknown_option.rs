use snn::prelude::*;

#[neuron_model(refractory = false)]
pub struct M {
    #[var]
    v: Scalar,
}

fn main() {}
