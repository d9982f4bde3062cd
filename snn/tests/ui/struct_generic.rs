use snn::prelude::*;

#[neuron_model]
pub struct M<T> {
    #[var]
    v: Scalar,
}

fn main() {}
