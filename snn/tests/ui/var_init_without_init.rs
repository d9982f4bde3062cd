use snn::prelude::*;

#[var_init_snippet]
pub struct Const {
    #[param]
    pub value: Scalar,
}

#[var_init_snippet]
impl Const {}

fn main() {}
