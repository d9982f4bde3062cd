use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[egp]
    table: u32,
}

fn main() {}
