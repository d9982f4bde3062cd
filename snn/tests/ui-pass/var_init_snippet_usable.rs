//! A `#[var_init_snippet]` model can be passed to `VarInit::snippet` (the docs
//! of `VarInitSnippetDyn` say the macro implements it).

use snn::prelude::*;

#[var_init_snippet]
pub struct Ramp {
    #[param]
    pub slope: Scalar,
}

#[var_init_snippet]
impl Ramp {
    fn init(&self, env: &mut InitEnv) -> Scalar {
        self.slope * env.id() as Scalar
    }
}

fn main() -> Result<()> {
    let mut net = Network::new(0.1)?;
    let pop = net
        .add_population("P", 4, Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 })
        .init("v", VarInit::snippet(Ramp { slope: 0.25 }))
        .init("u", -13.0)
        .build()?;
    let sim = CpuSimulation::new(&net)?;
    assert_eq!(sim.var_values(pop, "v")?, vec![0.0, 0.25, 0.5, 0.75]);
    Ok(())
}
