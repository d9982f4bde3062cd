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
        self.v = match self.v > 1.0 {
            true => 0.0,
            false => self.v,
        };
    }
}

fn main() {}
