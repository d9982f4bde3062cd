use snn::prelude::*;

#[neuron_model]
pub struct N {
    #[var]
    v: Scalar,
    #[input]
    ex: Scalar,
}

#[neuron_model]
impl N {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.v += self.ex;
        self.ex = 0.0;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v > 1.0
    }
}

fn main() {}
