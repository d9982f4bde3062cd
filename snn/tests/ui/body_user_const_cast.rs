//! A path to a user constant is not a local variable: the translator must
//! reject it (today it becomes `Expr::Local("FOO")`, an undeclared local in
//! the GPU code, and the program compiles).

use snn::prelude::*;

const FOO: f32 = 1.5;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
}

#[neuron_model]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.v += FOO as Scalar;
    }
}

fn main() {}
