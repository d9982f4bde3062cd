use snn::prelude::*;

#[neuron_model]
pub struct M {
    #[var]
    v: Scalar,
}

#[neuron_model]
impl M {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let (a, b) = (1.0, 2.0);
        self.v = foo(self.v);
        println!("hi");
        let w = match a { _ => 1.0 };
        self.v += env.nope();
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        let r = &self.v;
        self.v.is_sign_positive()
    }
}

fn main() {}
