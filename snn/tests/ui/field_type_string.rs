use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var]
    name: String,
}

fn main() {}
