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
    fn threshold(&mut self, env: &NeuronEnv) -> bool {
        self.v > 1.0
    }
}

fn main() {}
