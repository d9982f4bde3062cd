use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[param(huge)]
    pub tau: Scalar,
}

fn main() {}
