use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[param]
    pub n: u8,
}

fn main() {}
