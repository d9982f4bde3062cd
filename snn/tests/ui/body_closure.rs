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
        let f = |x: Scalar| x * 2.0;
        self.v = f(self.v);
    }
}

fn main() {}
