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
    fn threshold(&self, env: &NeuronEnv) -> Scalar {
        self.v
    }
}

fn main() {}
