//! Test models exercising the translatable subset, written with the same
//! macros users use. Each compiles natively (for the CPU backend) in both
//! precisions, so their IR is valid Rust's.

#![allow(dead_code, clippy::all)]

use snn_core::{current_source_model, neuron_model};

/// `let` shadowing in one block and in nested blocks.
#[neuron_model]
pub struct Shadow {
    #[var]
    x: Scalar,
}

#[neuron_model]
impl Shadow {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let a = self.x;
        let a = a + 1.0;
        if a > 2.0 {
            let a = a * 2.0;
            self.x = a;
        }
        let a_1 = a;
        let a = a_1 - 0.5;
        self.x += a;
    }
}

/// Type inference of locals and literals.
#[neuron_model]
pub struct Infer {
    #[var]
    x: Scalar,
    #[var]
    n: u8,
    #[var]
    c: u32,
}

#[neuron_model]
impl Infer {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let k = 0.1;
        let c = k as Scalar;
        let n = 3;
        let m: u8 = 200;
        let j = m + 5;
        let q = 2.5 as f32;
        let wide = self.c as u64 * 4;
        let late;
        late = self.x * 2.0;
        let neg = -1.5 as f32;
        let idx = self.c as usize + 1;
        self.n = j / 2 + self.n % 3;
        self.x = c
            + late
            + q as Scalar
            + n as Scalar
            + j as Scalar
            + neg as Scalar
            + wide as Scalar
            + idx as Scalar;
    }
}

/// Integer operations that C would promote, shifts and casts.
#[neuron_model]
pub struct Ints {
    #[var]
    n: u8,
    #[var]
    w: u16,
    #[var]
    m: i32,
    #[var]
    k: u32,
    #[var]
    big: i64,
    #[var]
    x: Scalar,
}

#[neuron_model]
impl Ints {
    fn sim(&mut self, env: &mut NeuronEnv) {
        self.n = (self.n << 1) | 1;
        self.n += 3;
        self.n = !self.n;
        self.w = self.w * 2 - self.w;
        self.m = self.m << self.k;
        self.m <<= 2;
        self.k >>= 1;
        self.big = self.big * 3 + (self.m as i64);
        self.m = (self.x * 1e10) as i32;
        self.n = self.x as u8;
        self.k = self.k.min(7).max(1);
        self.m = self.m.abs().clamp(-5, 5) + self.m.signum();
        self.x = -self.x;
    }
}

/// Loops of every kind.
#[neuron_model]
pub struct Loops {
    #[var]
    n: u8,
    #[var]
    s: u32,
}

#[neuron_model]
impl Loops {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let mut s: u32 = 0;
        for i in 250u8..=255 {
            s += i as u32;
        }
        for j in 0..self.n {
            if j % 3 == 0 {
                continue;
            }
            s += j as u32;
            if s > 100000 {
                break;
            }
        }
        let mut t = 0;
        while t < 10 {
            t += 3;
        }
        loop {
            t -= 1;
            if t < 5 {
                break;
            }
        }
        self.s = s + t as u32;
    }
}

/// `if` values, `else if` chains, and Rust's evaluation order of random draws.
#[current_source_model]
pub struct Order {
    #[param]
    pub amp: Scalar,
    #[var]
    acc: Scalar,
}

#[current_source_model]
impl Order {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        let z = env.rand_uniform() - env.rand_uniform();
        let y = if z > 0.0 { z } else { -z };
        let w = if y > 0.5 {
            let t = y * 2.0;
            t + env.rand_normal()
        } else {
            0.0
        };
        let ok = y > 0.1 && env.rand_uniform() < 0.5;
        let v = y > 0.2
            && if y > 0.3 {
                let q = env.rand_uniform();
                q > 0.5
            } else {
                false
            };
        if z > 0.9 {
            self.acc = 1.0;
        } else if z > 0.5 {
            self.acc = 2.0;
        } else {
            self.acc = 3.0;
        }
        let n = env.rand_poisson(self.amp) + env.rand_binomial(3, 0.5);
        let mut k = 0;
        while env.rand_uniform() + env.rand_uniform() < 1.0 && k < 10 {
            k += 1;
        }
        for _i in 0..env.rand_poisson(2.0) {
            k += 1;
        }
        env.inject_current(
            w + if ok { 1.0 } else { 0.0 } + if v { self.amp } else { 0.0 } + n as Scalar,
        );
        // A tail `if` whose branches are calls without a value.
        if k > 3 {
            env.inject_current(1.0)
        } else {
            env.inject_current(-1.0)
        }
    }
}

/// Every float method and constant.
#[neuron_model]
pub struct Maths {
    #[var]
    x: Scalar,
    #[var]
    ok: u32,
}

#[neuron_model]
impl Maths {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let x = self.x;
        let a = x.exp() + x.exp2() + x.exp_m1() + x.ln() + x.log10() + x.log2() + x.ln_1p();
        let b = x.sqrt() + x.cbrt() + x.powf(1.5) + x.powi(3) + x.abs() + x.signum();
        let c = x.min(1.0) + x.max(0.0) + x.clamp(-1.0, 1.0);
        let d = x.sin() + x.cos() + x.tan() + x.asin() + x.acos() + x.atan() + x.atan2(2.0);
        let e = x.sinh() + x.cosh() + x.tanh();
        let f = x.floor() + x.ceil() + x.round() + x.trunc() + x.fract();
        let g = x.mul_add(2.0, 1.0) + x.hypot(3.0) + x.recip() + x.to_degrees() + x.to_radians();
        let h = Scalar::consts::PI + Scalar::consts::E + Scalar::EPSILON - Scalar::MAX * 0.0
            + Scalar::consts::FRAC_1_SQRT_2;
        let fin = (a + b).is_finite() && !(c + d).is_nan();
        self.ok = if fin { 1 } else { 0 } + u32::MAX / 4294967295 + (i32::MIN as u32 >> 31);
        self.x = a + b + c + d + e + f + g + h + x % 0.75;
        if self.x > Scalar::INFINITY || self.x < Scalar::NEG_INFINITY {
            self.x = Scalar::NAN;
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        if self.x > 100.0 {
            return true;
        }
        self.ok > 1
    }
}

/// A neuron whose `sim` runs through most of the subset, for the execution
/// test against the CPU backend. Native code must not overflow (tests run
/// with overflow checks): the integer state stays small.
#[neuron_model]
pub struct Sink {
    #[param]
    pub k: Scalar,
    #[var]
    x: Scalar,
    #[var]
    y: f64,
    #[var]
    z: f32,
    #[var]
    n: u8,
    #[var]
    w: u16,
    #[var]
    m: i32,
    #[var]
    c: u32,
    #[var]
    big: i64,
    #[var]
    sat: i32,
    #[var]
    sat_u: u8,
    #[var]
    sat_nan: u32,
    #[var]
    acc: Scalar,
}

#[neuron_model]
impl Sink {
    fn sim(&mut self, env: &mut NeuronEnv) {
        // Shadowing, `if` values (one with statements), literals of several types.
        let a = self.x * 0.1 + env.isyn();
        let a = a * 0.5 - 0.25;
        let b = if a > 0.0 { a } else { -a };
        let c = if self.n > 100 {
            let q = b * 2.0;
            q + 1.0
        } else {
            b - 1.0
        };
        self.x = (c.fract() + (self.x * self.k).sin() * 0.5).clamp(-1.0, 1.0);
        let tenth: f32 = 0.1;
        self.z = self.z * 0.75 + tenth;
        self.y = (self.y + 0.1) % 0.7;
        // Small unsigned types; division, remainder and shifts of negatives.
        self.n = (self.n + 37) % 200;
        self.w = (self.w * 3 + 1) % 1000;
        self.m = (self.m * 7 + 3) % 101 - 50;
        let d = self.m / 3 - (self.m >> 1) + (self.m << 2) + self.m % 7;
        // Loops.
        let mut s: u32 = 0;
        for i in 250u8..=255 {
            s += i as u32;
        }
        for j in 0..self.n {
            if j % 3 == 0 {
                continue;
            }
            s += j as u32;
            if s > 5000 {
                break;
            }
        }
        let mut t = 0;
        while t < 10 {
            t += 3;
        }
        loop {
            t -= 1;
            if t < 5 {
                break;
            }
        }
        self.c = s + t as u32 + (d + 1000) as u32;
        // Saturating float-to-integer casts, NaN to 0.
        self.sat = (self.x * 5e9) as i32;
        self.sat_u = (self.x * 600.0 - 20.0) as u8;
        self.sat_nan = (self.x * 0.0 / (self.x - self.x)) as u32;
        self.big = (self.big * 31 + self.c as i64) % 1_000_003 ^ ((self.n as i64) << 40);
        // Float methods.
        let e = b.abs().sqrt()
            + (1.0 + b * b).ln()
            + b.signum()
            + b.powi(3)
            + b.mul_add(0.5, 0.25)
            + b.max(0.1).min(0.9)
            + b.recip().atan()
            + b.to_degrees().to_radians();
        self.acc = self.acc * 0.9 + e * 0.01 + Scalar::consts::PI * 1e-3;
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.x > 0.45
    }
    fn reset(&mut self, env: &mut NeuronEnv) {
        self.x -= 1.0;
    }
}
