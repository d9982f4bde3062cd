use snn::prelude::*;

#[postsynaptic_model]
pub struct P {
    #[neuron_var]
    v: Scalar,
}

#[postsynaptic_model]
impl P {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.in_syn);
        self.v = 0.0;
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.in_syn = 0.0;
    }
}

fn main() {}
