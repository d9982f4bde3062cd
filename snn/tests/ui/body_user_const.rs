use snn::prelude::*;

const FOO: f64 = 1.5;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
}

#[neuron_model]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.v += FOO;
    }
}

fn main() {}
