//! `Scalar::consts::PI` and `f32::consts::PI` are accepted by the translator
//! (and documented in `snn_core::ir`), so they must also compile natively.

use snn::prelude::*;

#[neuron_model]
pub struct Osc {
    #[param(positive)]
    pub period: Scalar,
    #[var]
    v: Scalar,
}

#[neuron_model]
impl Osc {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let w = 2.0 * Scalar::consts::PI / self.period;
        let e = f64::consts::E as Scalar + f32::consts::SQRT_2 as Scalar;
        self.v = (w * env.t()).sin() + 0.0 * e;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v > Scalar::consts::FRAC_1_SQRT_2
    }
}

fn main() {}
