use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[param]
    pub tau: Scalar,
    #[derived((-dt / tau).exp())]
    decay: Scalar,
    #[var]
    v: Scalar,
}

#[neuron_model]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.v *= self.decay;
        self.decay += 1.0;
    }
}

fn main() {}
