use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[param]
    pub tau: Scalar,
    #[derived]
    decay: Scalar,
}

fn main() {}
