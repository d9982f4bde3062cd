use snn::prelude::*;

#[current_source_model(auto_refractory = false)]
pub struct M {
    #[param]
    pub amp: Scalar,
}

fn main() {}
