use snn::prelude::*;

#[weight_update_model]
pub struct W {
    #[var]
    g: Scalar,
}

#[weight_update_model]
impl W {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        env.add_to_post(self.g * env.isyn());
    }
}

fn main() {}
