use snn::prelude::*;

#[neuron_model]
pub struct M(Scalar);

fn main() {}
