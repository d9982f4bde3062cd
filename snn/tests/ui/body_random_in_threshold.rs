use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
}

#[neuron_model]
impl M {
    fn threshold(&self, env: &NeuronEnv) -> bool {
        env.rand_uniform() < self.v
    }
}

fn main() {}
