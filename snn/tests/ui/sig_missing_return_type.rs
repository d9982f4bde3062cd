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
    fn threshold(&self, env: &NeuronEnv) {
        let x = self.v;
    }
}

fn main() {}
