use snn::prelude::*;

#[weight_update_model]
pub struct Stdp {
    #[var]
    g: Scalar,
    #[post_var]
    y: Scalar,
}

#[weight_update_model]
impl Stdp {
    fn post_spike(&mut self, env: &mut WeightUpdateEnv) {
        // The postsynaptic view knows no presynaptic spike times.
        self.y = env.st_pre();
    }
    fn on_post_spike(&mut self, env: &mut WeightUpdateEnv) {
        // Learn-post code cannot add to the postsynaptic input.
        env.add_to_post(self.g);
    }
}

fn main() {}
