use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
}

#[neuron_model(auto_refractory = false)]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.v += 1.0;
    }
}

fn main() {}
