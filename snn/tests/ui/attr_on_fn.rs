use snn::prelude::*;

#[neuron_model]
fn sim() {}

fn main() {}
