use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
    #[egp]
    table: Scalar,
}

#[neuron_model]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.table[0] = self.v;
    }
}

fn main() {}
