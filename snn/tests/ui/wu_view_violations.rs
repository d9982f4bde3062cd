use snn::prelude::*;

#[weight_update_model]
pub struct Stdp {
    #[param]
    a: Scalar,
    #[var]
    g: Scalar,
    #[pre_var]
    x: Scalar,
    #[post_var]
    y: Scalar,
}

#[weight_update_model]
impl Stdp {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        // Synapse code may not write presynaptic variables.
        self.x = self.g;
    }
    fn pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        // The presynaptic view has no synapse variables.
        self.x += self.g;
    }
    fn post_spike(&mut self, env: &mut WeightUpdateEnv) {
        // Post variables are writable here.
        self.y = env.st_post();
    }
}

fn main() {}
