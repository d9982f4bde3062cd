//! Hodgkin-Huxley type neurons: the Traub & Miles (1991) model of GeNN's
//! `TraubMiles` and Brian2's `COBAHH` example, with three integrators.
//!
//! ```text
//! c dv/dt = -g_na m^3 h (v - e_na) - g_k n^4 (v - e_k) - g_leak (v - e_leak) + Isyn
//! dx/dt   = alpha_x(v) (1 - x) - beta_x(v) x            for x in m, h, n
//! with u = v - v_t (mV), rates in 1/ms:
//! alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)   beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
//! alpha_h = 0.128 exp((17 - u) / 18)                  beta_h = 4 / (1 + exp((40 - u) / 5))
//! alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1)  beta_n = 0.5 exp((10 - u) / 40)
//! ```
//!
//! # Integrators
//!
//! One model per integrator, chosen per population; all three share the
//! parameters, variables, rate functions and spike condition (one
//! `macro_rules!` writes them), so a population switches integrator by
//! changing its model type: `TraubMiles::COBAHH.exp_euler(1)`.
//!
//! | model | integrator | rate evaluations per step (dt = 0.1 ms) |
//! |---|---|---|
//! | [`TraubMiles`] (default) | classical RK4 on `ceil(dt / 0.02 ms)` substeps | 20 |
//! | [`TraubMilesExpEuler`] | exponential Euler (Brian2's `exponential_euler`) on `substeps` substeps | `substeps` (1 in Brian2's COBAHH) |
//! | [`TraubMilesEuler`] | forward Euler on `substeps` substeps (GeNN's `TraubMiles`, `TraubMilesNStep`'s `ntimes`) | `substeps` (25 in GeNN) |
//!
//! `Isyn` is held constant over the step by all three, as in GeNN (it is
//! explicit over `dt`, so very large synaptic conductances, `g dt / c` near
//! 1, need a smaller `dt` whatever the integrator).
//!
//! Exponential Euler writes each variable's equation as linear in that
//! variable, `dx/dt = f(x) = A - k x`, with the other variables held at their
//! values at the start of the substep (`k = alpha_x + beta_x` for a gate,
//! `k = (g_na m^3 h + g_k n^4 + g_leak) / c` for `v`), and solves it exactly:
//! `x <- x_inf + (x - x_inf) exp(-k h)`, `x_inf = A / k`; computed as
//! `x <- x + f(x) (1 - exp(-k h)) / k` (with `exp_m1`, and `h (1 - k h / 2)`
//! for `k h < 1e-6`), which is the same value without the cancellation of
//! `x - x_inf` and defined for `k = 0`. It is first order, but
//! unconditionally stable, and keeps the gates in `[0, 1]`. Forward Euler
//! updates all four variables from the same derivatives (GeNN computes the
//! three gate updates and the membrane current from the old state too).
//!
//! Accuracy against an f64 RK4 at 1 us over 500 ms of tonic firing (six
//! cases: GeNN's and Brian2 COBAHH's neuron under 0-0.5 nA, ISIs 8-70 ms),
//! measured by `snn/tests/it/hh_integrators.rs` and `hh_reference.rs`,
//! worst case over the cases, f32 and f64, CPU and OpenCL (identical):
//! spikes gained or lost, largest spike-time drift beyond the step of the
//! reference crossing, error of the mean inter-spike interval.
//!
//! | integrator | dt = 0.1 ms | dt = 0.01 ms |
//! |---|---|---|
//! | RK4, substeps <= 20 us | 0, 0 (every spike in its step), 0.01 % | 0, 0, < 0.01 % |
//! | exponential Euler, 1 substep | -6 of 59, 55 ms, 12 % | -1, 6.2 ms, 1.3 % |
//! | exponential Euler, 5 substeps | -1, 12 ms, 2.6 % | |
//! | forward Euler, 25 substeps | 0, 1.6 ms, 0.34 % | 0, 0.28 ms, 0.07 % |
//! | forward Euler, 2 substeps | -2, 39 ms, 5.2 % | |
//! | forward Euler, 1 substep | unstable | 0, 4.1 ms, 0.83 % |
//!
//! Exponential Euler is the cheapest per step (one evaluation of the rates)
//! and stable at any step, but at Brian2's dt = 0.1 ms its neurons fire
//! ~12 % slower than the exact solution. Forward Euler needs substeps of
//! ~50 us or less: on 0.1 ms substeps `v` oscillates across the threshold
//! within the first spikes (spurious spikes 0.3-0.6 ms apart) and then
//! mostly becomes NaN; on small enough substeps it is more accurate per
//! evaluation than exponential Euler for this model. RK4 costs 20
//! evaluations at dt = 0.1 ms and is exact to the recording step.

use crate::neuron_model;

/// Writes one Traub-Miles model: the struct with the shared parameters and
/// variables, the substep fields of its integrator (`n_sub` substeps per
/// step of `h_sub` ms; RK4's follow from `dt`, the Euler methods' from the
/// `substeps` parameter), and its code. The
/// integrator is `$method`, a literal the code branches on (0 RK4, 1
/// exponential Euler, 2 forward Euler): a constant to every backend's
/// compiler, so the other integrators' code folds away.
macro_rules! traub_miles_model {
    // RK4 (integrator 0) on substeps of at most 20 us.
    ($(#[$meta:meta])* pub struct $name:ident; integrator rk4;) => {
        traub_miles_model! {
            @model [$(#[$meta])*] $name, integrator 0, substeps (1.0_f64) of at most (0.02) {}
        }
    };
    // Exponential (1) or forward (2) Euler on `substeps` substeps.
    ($(#[$meta:meta])* pub struct $name:ident; integrator $method:tt, substeps;) => {
        traub_miles_model! {
            @model [$(#[$meta])*] $name, integrator $method, substeps (substeps) of at most (f64::INFINITY) {
                /// Substeps per timestep (rounded, at least 1).
                #[param(positive)]
                pub substeps: Scalar,
            }
        }
    };
    // The model: at least `round($n)` substeps per step (at least 1), and
    // enough of them to be at most `$max_h` ms long. `dt` in the derived
    // expressions must be written in this arm, with `#[neuron_model]`,
    // which binds it in the hygiene context of its invocation.
    (
        @model [$($meta:tt)*] $name:ident, integrator $method:tt,
        substeps ($($n:tt)*) of at most ($($max_h:tt)*) { $($fields:tt)* }
    ) => {
        $($meta)*
        #[neuron_model]
        pub struct $name {
            /// Maximal sodium conductance `g_na` (uS).
            #[param(non_negative)]
            pub g_na: Scalar,
            /// Sodium reversal potential `e_na` (mV).
            #[param]
            pub e_na: Scalar,
            /// Maximal (delayed-rectifier) potassium conductance `g_k` (uS).
            #[param(non_negative)]
            pub g_k: Scalar,
            /// Potassium reversal potential `e_k` (mV).
            #[param]
            pub e_k: Scalar,
            /// Leak conductance `g_leak` (uS).
            #[param(non_negative)]
            pub g_leak: Scalar,
            /// Leak reversal potential `e_leak` (mV).
            #[param]
            pub e_leak: Scalar,
            /// Membrane capacitance `c` (nF).
            #[param(positive)]
            pub c: Scalar,
            /// Shift `v_t` of the rate functions (mV): -65 is GeNN's, -63 Brian2's COBAHH.
            #[param]
            pub v_t: Scalar,
            /// Spike threshold (mV), detected on upward crossing.
            #[param]
            pub v_thresh: Scalar,
            $($fields)*
            /// Number of substeps per timestep.
            #[derived((dt / ($($max_h)*) - 1e-9).ceil().max(($($n)*).round()).max(1.0))]
            n_sub: Scalar,
            /// Substep (ms).
            #[derived(dt / (dt / ($($max_h)*) - 1e-9).ceil().max(($($n)*).round()).max(1.0))]
            h_sub: Scalar,
            /// `1 / c` (1/nF).
            #[derived(1.0 / c)]
            inv_c: Scalar,
            /// Membrane potential (mV).
            #[var]
            v: Scalar,
            /// Sodium activation.
            #[var]
            m: Scalar,
            /// Sodium inactivation.
            #[var]
            h: Scalar,
            /// Potassium activation.
            #[var]
            n: Scalar,
        }

        #[neuron_model]
        impl $name {
            fn sim(&mut self, env: &mut NeuronEnv) {
                // 0: RK4, 1: exponential Euler, 2: forward Euler.
                let method: i32 = $method;
                let n_stages: i32 = if method == 0 { 4 } else { 1 };
                let i_syn = env.isyn();
                let step = self.h_sub;
                let n_sub = self.n_sub as i32;
                for _sub in 0..n_sub {
                    let v0 = self.v;
                    let m0 = self.m;
                    let h0 = self.h;
                    let n0 = self.n;
                    // Stage state and (RK4) the weighted sums of the stage derivatives.
                    let mut vs = v0;
                    let mut ms = m0;
                    let mut hs = h0;
                    let mut ns = n0;
                    let mut sum_v: Scalar = 0.0;
                    let mut sum_m: Scalar = 0.0;
                    let mut sum_h: Scalar = 0.0;
                    let mut sum_n: Scalar = 0.0;
                    for stage in 0..n_stages {
                        let u = vs - self.v_t;
                        // Divisions by constants are multiplications by
                        // their reciprocals: a vector division costs as
                        // much as ten multiplications.
                        let xm = (13.0 - u) * 0.25;
                        let alpha_m = if xm.abs() < 1e-6 {
                            1.28 * (1.0 - 0.5 * xm)
                        } else {
                            1.28 * xm / xm.exp_m1()
                        };
                        let ym = (u - 40.0) * 0.2;
                        let beta_m = if ym.abs() < 1e-6 {
                            1.4 * (1.0 - 0.5 * ym)
                        } else {
                            1.4 * ym / ym.exp_m1()
                        };
                        let alpha_h = 0.128 * ((17.0 - u) * (1.0 / 18.0)).exp();
                        let beta_h = 4.0 / (1.0 + ((40.0 - u) * 0.2).exp());
                        let xn = (15.0 - u) * 0.2;
                        let alpha_n = if xn.abs() < 1e-6 {
                            0.16 * (1.0 - 0.5 * xn)
                        } else {
                            0.16 * xn / xn.exp_m1()
                        };
                        let beta_n = 0.5 * ((10.0 - u) * 0.025).exp();
                        let g_na_now = self.g_na * ms * ms * ms * hs;
                        let g_k_now = self.g_k * ns * ns * ns * ns;
                        let i_mem = i_syn
                            - g_na_now * (vs - self.e_na)
                            - g_k_now * (vs - self.e_k)
                            - self.g_leak * (vs - self.e_leak);
                        let dv = i_mem * self.inv_c;
                        let dm = alpha_m * (1.0 - ms) - beta_m * ms;
                        let dh = alpha_h * (1.0 - hs) - beta_h * hs;
                        let dn = alpha_n * (1.0 - ns) - beta_n * ns;
                        if method == 0 {
                            // RK4 weights 1, 2, 2, 1; the next stage is at h/2, h/2, h.
                            let w: Scalar = if stage == 0 || stage == 3 { 1.0 } else { 2.0 };
                            sum_v += w * dv;
                            sum_m += w * dm;
                            sum_h += w * dh;
                            sum_n += w * dn;
                            let c: Scalar = if stage < 2 { 0.5 * step } else { step };
                            vs = v0 + c * dv;
                            ms = m0 + c * dm;
                            hs = h0 + c * dh;
                            ns = n0 + c * dn;
                        } else {
                            // x <- x + p_x dx/dt: p_x = h (forward Euler) or,
                            // for exponential Euler, (1 - exp(-k h)) / k with
                            // k = -d(dx/dt)/dx.
                            let mut p_v = step;
                            let mut p_m = step;
                            let mut p_h = step;
                            let mut p_n = step;
                            if method == 1 {
                                let k_v = (g_na_now + g_k_now + self.g_leak) * self.inv_c;
                                let e_v = k_v * step;
                                p_v = if e_v < 1e-6 {
                                    step * (1.0 - 0.5 * e_v)
                                } else {
                                    -(-e_v).exp_m1() / k_v
                                };
                                let k_m = alpha_m + beta_m;
                                let e_m = k_m * step;
                                p_m = if e_m < 1e-6 {
                                    step * (1.0 - 0.5 * e_m)
                                } else {
                                    -(-e_m).exp_m1() / k_m
                                };
                                let k_h = alpha_h + beta_h;
                                let e_h = k_h * step;
                                p_h = if e_h < 1e-6 {
                                    step * (1.0 - 0.5 * e_h)
                                } else {
                                    -(-e_h).exp_m1() / k_h
                                };
                                let k_n = alpha_n + beta_n;
                                let e_n = k_n * step;
                                p_n = if e_n < 1e-6 {
                                    step * (1.0 - 0.5 * e_n)
                                } else {
                                    -(-e_n).exp_m1() / k_n
                                };
                            }
                            vs = v0 + p_v * dv;
                            ms = m0 + p_m * dm;
                            hs = h0 + p_h * dh;
                            ns = n0 + p_n * dn;
                        }
                    }
                    if method == 0 {
                        self.v = v0 + step / 6.0 * sum_v;
                        self.m = m0 + step / 6.0 * sum_m;
                        self.h = h0 + step / 6.0 * sum_h;
                        self.n = n0 + step / 6.0 * sum_n;
                    } else {
                        self.v = vs;
                        self.m = ms;
                        self.h = hs;
                        self.n = ns;
                    }
                }
            }
            fn threshold(&self, env: &NeuronEnv) -> bool {
                self.v >= self.v_thresh
            }
        }
    };
}

traub_miles_model! {
    /// Hodgkin-Huxley neuron with the Traub & Miles (1991) sodium and
    /// potassium kinetics (GeNN's `TraubMiles`; Brian2's `COBAHH`, the HH
    /// benchmark of Brette et al. 2007), integrated with classical RK4.
    ///
    /// Units as GeNN: mV, ms, uS, nF, nA (`Isyn` in nA). Equations in the
    /// [module documentation](self).
    ///
    /// `v_t` shifts the rate functions: GeNN's hard-coded rates (e.g.
    /// `alpha_m = 0.32 (-52 - V) / (exp((-52 - V) / 4) - 1)`) are `v_t = -65`
    /// mV, Brian2's COBAHH uses `VT = -63` mV. The removable singularities of
    /// `alpha_m`, `beta_m` and `alpha_n` (`x / (exp(x) - 1)` at `x = 0`) are
    /// evaluated as `x / exp_m1(x)`, with the limit `1 - x/2` for `|x| < 1e-6`.
    ///
    /// Integration: classical Runge-Kutta (RK4) of all four variables on
    /// `ceil(dt / 0.02 ms)` equal substeps per timestep (5 at dt = 0.1 ms: 20
    /// evaluations of the rates against GeNN's 25), with `Isyn` held constant
    /// over the step as GeNN does. Measured against an f64 RK4 at 1 us over 500
    /// ms of tonic firing: spike times within 1.1e-3 ms, where GeNN's 25
    /// forward-Euler substeps (4 us) drift by 0.7-1.6 ms. Stable for the
    /// fastest time constants of the model (~30 us during a spike; RK4's limit
    /// is ~2.8 h). The same neuron with Brian2's exponential Euler is
    /// [`TraubMilesExpEuler`] ([`TraubMiles::exp_euler`]), with GeNN's forward
    /// Euler [`TraubMilesEuler`] ([`TraubMiles::euler`]).
    ///
    /// Spike: `v >= v_thresh` after a step where it was below (auto-refractory
    /// upward crossing); there is no reset, the action potential repolarises by
    /// itself. GeNN uses `v_thresh = 0` mV, Brian2's COBAHH `-20` mV.
    ///
    /// Published values: [`TraubMiles::GENN`] (GeNN's defaults; initial
    /// `v = -60, m = 0.0529324, h = 0.3176767, n = 0.5961207`) and
    /// [`TraubMiles::COBAHH`] (Brian2's, for a membrane area of 20,000 um^2;
    /// initial `m = h = n = 0`).
    pub struct TraubMiles;
    integrator rk4;
}

traub_miles_model! {
    /// [`TraubMiles`]' neuron integrated with exponential Euler, as Brian2's
    /// COBAHH benchmark (its `exponential_euler` state updater), on
    /// `substeps` equal substeps per timestep (Brian2: 1). One evaluation of
    /// the rates per substep, first order; see the
    /// [module documentation](self) for the scheme and its measured error.
    ///
    /// Build it from a [`TraubMiles`] with [`TraubMiles::exp_euler`]:
    /// `TraubMiles::COBAHH.exp_euler(1)`.
    pub struct TraubMilesExpEuler;
    integrator 1, substeps;
}

traub_miles_model! {
    /// [`TraubMiles`]' neuron integrated with forward Euler on `substeps`
    /// equal substeps per timestep, as GeNN's `TraubMiles` (25 substeps;
    /// `TraubMilesNStep`'s `ntimes`). One evaluation of the rates per
    /// substep, first order and only conditionally stable: substeps of 0.1
    /// ms are unstable (spurious spikes, then NaN), 50 us ones stable for
    /// GeNN's and Brian2's parameters. See the [module documentation](self)
    /// for the measured error.
    ///
    /// Build it from a [`TraubMiles`] with [`TraubMiles::euler`]:
    /// `TraubMiles::GENN.euler(25)`.
    pub struct TraubMilesEuler;
    integrator 2, substeps;
}

impl TraubMiles {
    /// GeNN's `TraubMiles` defaults: `g_na = 7.15` uS, `e_na = 50` mV,
    /// `g_k = 1.43` uS, `e_k = -95` mV, `g_leak = 0.02672` uS, `e_leak =
    /// -63.563` mV, `c = 0.143` nF, `v_t = -65` mV (GeNN's rates), `v_thresh = 0` mV.
    pub const GENN: TraubMiles = TraubMiles {
        g_na: 7.15,
        e_na: 50.0,
        g_k: 1.43,
        e_k: -95.0,
        g_leak: 0.02672,
        e_leak: -63.563,
        c: 0.143,
        v_t: -65.0,
        v_thresh: 0.0,
    };

    /// Brian2's `COBAHH` example (Brette et al. 2007, benchmark 3) for a
    /// membrane area of 20,000 um^2: `c = 1 uF/cm^2 -> 0.2` nF, `g_leak =
    /// 5e-5 S/cm^2 -> 0.01` uS, `g_na = 100 mS/cm^2 -> 20` uS, `g_k (g_kd) =
    /// 30 mS/cm^2 -> 6` uS, `e_leak = -60`, `e_k = -90`, `e_na = 50`, `v_t =
    /// -63` mV, `v_thresh = -20` mV (Brian's `v > -20*mV`).
    pub const COBAHH: TraubMiles = TraubMiles {
        g_na: 20.0,
        e_na: 50.0,
        g_k: 6.0,
        e_k: -90.0,
        g_leak: 0.01,
        e_leak: -60.0,
        c: 0.2,
        v_t: -63.0,
        v_thresh: -20.0,
    };

    /// The same neuron integrated with exponential Euler on `substeps`
    /// substeps per timestep (Brian2's COBAHH: 1; 0 counts as 1).
    pub fn exp_euler(self, substeps: u32) -> TraubMilesExpEuler {
        let TraubMiles {
            g_na,
            e_na,
            g_k,
            e_k,
            g_leak,
            e_leak,
            c,
            v_t,
            v_thresh,
        } = self;
        TraubMilesExpEuler {
            g_na,
            e_na,
            g_k,
            e_k,
            g_leak,
            e_leak,
            c,
            v_t,
            v_thresh,
            substeps: substeps.max(1) as f64,
        }
    }

    /// The same neuron integrated with forward Euler on `substeps` substeps
    /// per timestep (GeNN's `TraubMiles`: 25; 0 counts as 1).
    pub fn euler(self, substeps: u32) -> TraubMilesEuler {
        let TraubMiles {
            g_na,
            e_na,
            g_k,
            e_k,
            g_leak,
            e_leak,
            c,
            v_t,
            v_thresh,
        } = self;
        TraubMilesEuler {
            g_na,
            e_na,
            g_k,
            e_k,
            g_leak,
            e_leak,
            c,
            v_t,
            v_thresh,
            substeps: substeps.max(1) as f64,
        }
    }
}

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![
        TraubMiles::DESC,
        TraubMilesExpEuler::DESC,
        TraubMilesEuler::DESC,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    /// `(n_sub, h_sub)` of model `M` with parameters `params` at `dt`.
    fn substeps<M: Model>(params: &[f64], dt: f64) -> (f64, f64) {
        let d = M::derived_values(params, dt);
        (d[0], d[1])
    }

    #[test]
    fn rk4_substeps_are_at_most_20_us() {
        let p = TraubMiles::COBAHH.param_values();
        assert_eq!(substeps::<TraubMiles>(&p, 0.1), (5.0, 0.1 / 5.0));
        assert_eq!(substeps::<TraubMiles>(&p, 0.01), (1.0, 0.01));
        assert_eq!(substeps::<TraubMiles>(&p, 0.025), (2.0, 0.0125));
    }

    #[test]
    fn euler_substeps_are_the_rounded_parameter() {
        let mut p = TraubMiles::GENN.euler(25).param_values();
        assert_eq!(substeps::<TraubMilesEuler>(&p, 0.1), (25.0, 0.1 / 25.0));
        *p.last_mut().unwrap() = 2.4;
        assert_eq!(substeps::<TraubMilesExpEuler>(&p, 0.1), (2.0, 0.05));
        *p.last_mut().unwrap() = 0.3;
        assert_eq!(substeps::<TraubMilesExpEuler>(&p, 0.1), (1.0, 0.1));
    }

    #[test]
    fn conversions_keep_the_parameters() {
        let base = TraubMiles::COBAHH.param_values();
        let exp = TraubMiles::COBAHH.exp_euler(0).param_values();
        assert_eq!(exp[..base.len()], base[..]);
        assert_eq!(exp[base.len()..], [1.0]);
        let euler = TraubMiles::COBAHH.euler(25).param_values();
        assert_eq!(euler[..base.len()], base[..]);
        assert_eq!(euler[base.len()..], [25.0]);
    }
}
