//! A model exercising most of the translatable subset; it must compile, run
//! on the CPU backend, and carry IR for every method.

use snn::prelude::*;

#[neuron_model(auto_refractory = false)]
pub struct Kitchen {
    #[param(positive)]
    pub tau: Scalar,
    #[param(non_negative)]
    pub gain: Scalar,
    #[derived((-dt / tau).exp())]
    decay: Scalar,
    #[var]
    v: Scalar,
    #[var]
    count: u32,
    #[var]
    flag: bool,
    #[var]
    steps: u8,
    #[egp]
    table: Scalar,
}

#[neuron_model]
impl Kitchen {
    fn sim(&mut self, env: &mut NeuronEnv) {
        // let with and without a type; mutable locals
        let dt = env.dt();
        let mut acc: Scalar = 0.0;
        let mut k: u32 = 0;
        let n: usize;
        n = 3;
        // for over a..b and a..=b
        for i in 0..n {
            acc += i as Scalar * 0.5;
        }
        for j in 1..=3u32 {
            k += j;
        }
        // while, loop + break, continue
        while k > 10 {
            k -= 2;
        }
        let mut guard = 0;
        loop {
            guard += 1;
            if guard % 2 == 0 {
                continue;
            }
            if guard >= 5 {
                break;
            }
        }
        // if / else if / else as an expression, and as a statement
        let sign: Scalar = if self.v > 0.0 {
            1.0
        } else if self.v < 0.0 {
            -1.0
        } else {
            0.0
        };
        if sign != 0.0 && !self.flag {
            acc -= 1.0;
        } else {
            acc += 1.0;
        }
        // casts, float methods, constants
        // (`Scalar::consts::PI` / `f32::consts::PI` translate but do not compile
        // natively yet: see tests/ui-pending/scalar_consts.rs)
        let two_pi = 2.0 * std::f32::consts::PI as Scalar;
        let phase = (env.t() * two_pi / 100.0).sin() + (1.0 as Scalar).to_radians();
        let r = acc.abs().sqrt().max(0.1).min(10.0).clamp(0.0, 5.0);
        let p = r.powf(1.5) + r.powi(2) + (1.0 as Scalar).exp() + r.mul_add(2.0, 1.0);
        let big = if p.is_finite() { p } else { Scalar::MAX };
        let lim = f32::INFINITY as Scalar;
        let m = u32::MAX;
        // bit operations and integer arithmetic
        let bits = (k << 2) ^ (k >> 1) | (k & 7);
        // environment calls, including random draws
        let u = env.rand_uniform();
        let z = env.rand_normal();
        let id = env.id();
        // indexing an extra global parameter array
        let w = self.table[(id % 2) as usize];
        self.v = self.v * self.decay
            + self.gain * (env.isyn() + phase + w) * dt
            + 1e-9 * (big.min(lim) + (bits % 3) as Scalar + u * z)
            - 0.0 * (m as Scalar);
        self.count += 1;
        self.steps = (self.steps + 1) % 200;
        self.flag = self.v > 1.0;
        if self.v.is_nan() {
            return;
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v >= 1.0 && env.t() > 0.0
    }
    fn reset(&mut self, env: &mut NeuronEnv) {
        self.v = 0.0;
    }
}

#[postsynaptic_model]
pub struct Cond {
    #[param]
    pub e_rev: Scalar,
    #[neuron_var]
    v: Scalar,
}

#[postsynaptic_model]
impl Cond {
    fn apply_input(&mut self, env: &mut PostsynapticEnv) {
        env.inject_current(self.in_syn * (self.e_rev - self.v));
    }
    fn decay(&mut self, env: &mut PostsynapticEnv) {
        self.in_syn *= (-env.dt() / 5.0).exp();
    }
}

#[weight_update_model]
pub struct Pulse {
    #[var]
    g: Scalar,
    #[var]
    d: u8,
}

#[weight_update_model]
impl Pulse {
    fn on_pre_spike(&mut self, env: &mut WeightUpdateEnv) {
        if self.d > 0 {
            env.add_to_post_delay(self.g, self.d);
        } else {
            env.add_to_post(self.g);
        }
    }
}

#[var_init_snippet]
pub struct Ramp {
    #[param]
    pub slope: Scalar,
}

#[var_init_snippet]
impl Ramp {
    fn init(&self, env: &mut InitEnv) -> Scalar {
        self.slope * env.id() as Scalar + 0.0 * env.rand_uniform()
    }
}

fn main() -> Result<()> {
    use snn::snn_core::model::ModelCode;
    assert_eq!(<Kitchen as ModelCode>::METHODS.len(), 3);
    assert_eq!(<Cond as ModelCode>::METHODS.len(), 2);
    assert_eq!(<Pulse as ModelCode>::METHODS.len(), 1);
    assert_eq!(<Ramp as ModelCode>::METHODS.len(), 1);

    // The native (CPU) code of the same bodies runs.
    let mut net = Network::new(0.1)?;
    let pop = net
        .add_population("K", 4, Kitchen { tau: 10.0, gain: 1.0 })
        .init("v", VarInit::uniform(0.0, 1.0))
        .init("count", 0.0)
        .init("flag", 0.0)
        .init("steps", 0.0)
        .egp("table", vec![0.5, 1.5])
        .build()?;
    net.add_synapse_group("KK", pop, pop, Pulse, Cond { e_rev: 0.0 })
        .wu_init("g", 0.01)
        .wu_init("d", 0.0)
        .max_dendritic_delay(1)
        .build()?;
    let mut sim = CpuSimulation::new(&net)?;
    sim.run_steps(20)?;
    assert_eq!(sim.var_values(pop, "count")?, vec![20.0; 4]);
    Ok(())
}
