use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[parameter]
    pub tau: Scalar,
}

fn main() {}
