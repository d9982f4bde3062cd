use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[param]
    pub tau: Scalar,
    #[var]
    v: Scalar,
}

#[neuron_model]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        println!("v = {}", self.v);
    }
}

fn main() {}
