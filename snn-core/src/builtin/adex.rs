//! Adaptive exponential integrate-and-fire neurons (AdEx; Brette & Gerstner
//! 2005), current- and conductance-based, as NEST's `aeif_psc_exp` /
//! `aeif_cond_exp` and NEST GPU's `aeif_*` models, in NEST's units: pF, nS,
//! mV, ms, pA.
//!
//! ```text
//! C dV/dt   = -g_L (V - E_L) + g_L Δ_T exp((V - V_T) / Δ_T) - w + I_syn + I_e
//! τ_w dw/dt = a (V - E_L) - w
//! V >= V_peak:  V <- V_reset,  w <- w + b,  V held at V_reset for t_ref
//! ```
//!
//! # Integration
//!
//! The ODE is integrated within each step by one of three solvers, chosen
//! per population with the `solver` parameter (set it with
//! [`AdEx::with_solver`] / [`AdExCond::with_solver`] and an [`AdExSolver`]):
//!
//! - exponential Euler (`solver = 0`, Brian's `exponential_euler`): per
//!   substep, each variable's linear part (`-(g_L + g_ex + g_in) / C` for V,
//!   `-1/τ_w` for w, `-1/τ_syn` for the conductances) is integrated exactly
//!   with the rest held at its value at the substep start. One evaluation of
//!   the right-hand side per substep; first order.
//! - classic Runge-Kutta 4 (`solver = 1`) with `substeps` fixed substeps per
//!   step; four evaluations per substep.
//! - adaptive Dormand-Prince 5(4) (`solver = 2`; NEST uses GSL's RKF45, NEST
//!   GPU an adaptive RK5), with error control: the local error estimate of
//!   each variable must stay below `tol` (absolute, in the variable's unit)
//!   plus 4 ulp of its value; the step size follows the usual controller
//!   (`0.9 err^(-1/5)`, clamped to [0.2, 5]) and never drops below
//!   `dt / max_substeps` (a step at that size is accepted whatever its
//!   error). Every step starts with a trial substep of `dt`. Six evaluations
//!   per trial (first same as last). A step makes at most
//!   `4 max_substeps + 8` trials (the fixed-step solvers `substeps + 2`
//!   substeps); should a pathological input exhaust them, the rest of the
//!   step is not integrated rather than stalling the kernel.
//!
//! All three run one generic explicit Runge-Kutta loop over the stages of
//! their tableau: the right-hand side is written once. In GPU kernels the
//! parameters are compile-time constants, so the solver choice and the
//! tableau fold away.
//!
//! # Spikes
//!
//! As in NEST, the right-hand side uses `min(V, V_peak)` for `V`, so the
//! exponential cannot overflow, whatever the input: the trajectory is the
//! exact one up to the crossing, and a substep that ends with `V >= V_peak`
//! is a spike. The reset is applied at the end of that substep and the rest
//! of the step is integrated from it (NEST's spike handling inside the
//! integration loop, so spike-triggered adaptation takes effect at once).
//! The refractory period holds `V` at `V_reset` (`dV/dt = 0`, `w` and the
//! conductances evolve) for the rest of the spiking step and the next
//! `round(t_ref / dt) - 1` steps (NEST's counting). A neuron emits at most
//! one spike per step: if `V` crosses `V_peak` again in the step of a spike
//! (only with `t_ref < dt` and an input driving it faster than once per
//! step), it is held at `V_peak`, the rest of the step is not integrated and
//! the spike is emitted (and the reset applied) at the start of the next
//! step. So spikes are never lost, the rate is bounded by `1/dt`, and the
//! state stays finite. Where NEST reports a numerical instability
//! (`V < -1000` mV, e.g. an explicit Runge-Kutta solver with too long
//! substeps for a huge conductance), a kernel cannot stop: `V` is held at
//! -1000 mV instead.
//!
//! Spike times are recorded, as for every model, as the start of the step in
//! which the crossing happened.

use crate::neuron_model;

/// The solver of an [`AdEx`] or [`AdExCond`] population (its `solver`,
/// `substeps`, `tol` and `max_substeps` parameters); see the
/// [module documentation](self) for the methods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AdExSolver {
    /// Exponential Euler with `substeps` substeps per step (`solver = 0`).
    ExponentialEuler {
        /// Substeps per step (>= 1).
        substeps: u32,
    },
    /// Classic Runge-Kutta 4 with `substeps` substeps per step (`solver = 1`).
    Rk4 {
        /// Substeps per step (>= 1).
        substeps: u32,
    },
    /// Adaptive Dormand-Prince 5(4) (`solver = 2`).
    Rk45 {
        /// Absolute tolerance of the local error of every variable (mV, pA, nS).
        tol: f64,
        /// Bound on the substeps of one step: the smallest substep is
        /// `dt / max_substeps`.
        max_substeps: u32,
    },
}

impl AdExSolver {
    /// The default: Dormand-Prince with `tol = 1e-6` and at most 100000
    /// substeps per step. The bound matters near spikes only: the upstroke
    /// diverges on a time scale of `C / g_L exp(-(V - V_T) / Δ_T)`, below
    /// 1e-5 ms from `V_T + 15 Δ_T` on, and a floor of `dt / 1000` on the
    /// substep forces inaccurate substeps there (measured with Naud's tonic
    /// pattern at dt = 0.1 ms: spikes ~0.017 ms late each, accumulating),
    /// while `dt / 100000` tracks it (the controller takes the tiny substeps
    /// only in the few steps around a spike).
    pub const DEFAULT: AdExSolver = AdExSolver::Rk45 {
        tol: 1e-6,
        max_substeps: 100_000,
    };

    /// The values of the parameters `solver`, `substeps`, `tol` and
    /// `max_substeps` selecting this solver (the unused ones get harmless
    /// values).
    pub fn params(self) -> [f64; 4] {
        match self {
            AdExSolver::ExponentialEuler { substeps } => [0.0, substeps.max(1) as f64, 1e-6, 1.0],
            AdExSolver::Rk4 { substeps } => [1.0, substeps.max(1) as f64, 1e-6, 1.0],
            AdExSolver::Rk45 { tol, max_substeps } => [2.0, 1.0, tol, max_substeps.max(1) as f64],
        }
    }
}

impl Default for AdExSolver {
    fn default() -> Self {
        AdExSolver::DEFAULT
    }
}

/// Firing patterns of Naud, Marcille, Clopath & Gerstner (2008), "Firing
/// patterns in the adaptive exponential integrate-and-fire model", Biol.
/// Cybern. 99:335, Table 1, for [`AdEx::naud_2008`]; [`NaudPattern::current`]
/// is the step current (pA) that evokes the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NaudPattern {
    /// Tonic spiking (Fig. 4a).
    Tonic,
    /// Spike-frequency adaptation (Fig. 4b).
    Adapting,
    /// Initial burst, then tonic spikes (Fig. 4c).
    InitialBurst,
    /// Regular bursting (Fig. 4d).
    RegularBursting,
    /// Delayed accelerating (Fig. 4e).
    DelayedAccelerating,
    /// Delayed regular bursting (Fig. 4f).
    DelayedRegularBursting,
    /// Transient spiking (Fig. 4g).
    Transient,
    /// Irregular spiking (Fig. 4h).
    Irregular,
}

impl NaudPattern {
    /// `[C (pF), g_L (nS), E_L (mV), V_T (mV), Δ_T (mV), a (nS), τ_w (ms),
    /// b (pA), V_reset (mV), I (pA)]` of Table 1.
    pub fn table(self) -> [f64; 10] {
        match self {
            NaudPattern::Tonic => [200., 10., -70., -50., 2., 2., 30., 0., -58., 500.],
            NaudPattern::Adapting => [200., 12., -70., -50., 2., 2., 300., 60., -58., 500.],
            NaudPattern::InitialBurst => [130., 18., -58., -50., 2., 4., 150., 120., -50., 400.],
            NaudPattern::RegularBursting => [200., 10., -58., -50., 2., 2., 120., 100., -46., 210.],
            NaudPattern::DelayedAccelerating => {
                [200., 12., -70., -50., 2., -10., 300., 0., -58., 300.]
            }
            NaudPattern::DelayedRegularBursting => {
                [100., 10., -65., -50., 2., -10., 90., 30., -47., 110.]
            }
            NaudPattern::Transient => [100., 10., -65., -50., 2., 10., 90., 100., -47., 180.],
            NaudPattern::Irregular => [100., 12., -60., -50., 2., -11., 130., 30., -48., 160.],
        }
    }

    /// The step current of the pattern (pA).
    pub fn current(self) -> f64 {
        self.table()[9]
    }
}

/// Writes an AdEx neuron model: the common parameters and variables, and a
/// `sim` integrating `V`, `w` and the extra linear state variables listed
/// (each with its per-step input, its derivative, its decay rate for the
/// exponential Euler and the names of its seven stage slopes) with the
/// solver the population selects. `reads` lists the fields the caller's
/// expressions use (bound to locals of the same names). `$v` and `$w` name the stage values of `V`
/// and `w` for the expressions of the caller (the synaptic conductance
/// multiplying `-V` and the synaptic current besides `isyn`).
macro_rules! adex_model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($fields:tt)* }
        stage values $v:ident, $w:ident;
        reads $($p:ident),*;
        synaptic conductance $gsyn:expr;
        synaptic current $isyn:expr;
        $(
            state $g:ident += $input:expr, d/dt = $dg:expr, rate $rate:expr,
            slopes $k1:ident $k2:ident $k3:ident $k4:ident $k5:ident $k6:ident $k7:ident;
        )*
    ) => {
        $(#[$meta])*
        #[neuron_model(auto_refractory = false)]
        pub struct $name {
            /// Membrane capacitance `C` (pF; NEST `C_m`).
            #[param(positive)]
            pub c: Scalar,
            /// Leak conductance `g_L` (nS).
            #[param(positive)]
            pub g_l: Scalar,
            /// Leak reversal potential `E_L` (mV).
            #[param]
            pub e_l: Scalar,
            /// Spike initiation threshold `V_T` (mV; NEST `V_th`).
            #[param]
            pub v_t: Scalar,
            /// Slope factor `Δ_T` (mV; > 0).
            #[param(positive)]
            pub delta_t: Scalar,
            /// Subthreshold adaptation `a` (nS).
            #[param]
            pub a: Scalar,
            /// Adaptation time constant `τ_w` (ms).
            #[param(positive)]
            pub tau_w: Scalar,
            /// Spike-triggered adaptation increment `b` (pA).
            #[param]
            pub b: Scalar,
            /// Reset potential (mV).
            #[param]
            pub v_reset: Scalar,
            /// Spike detection potential `V_peak` (mV).
            #[param]
            pub v_peak: Scalar,
            /// Refractory period (ms), counted in steps as NEST does.
            #[param(non_negative)]
            pub t_ref: Scalar,
            /// Constant external current `I_e` (pA).
            #[param]
            pub i_e: Scalar,
            /// Solver: 0 exponential Euler, 1 RK4, 2 Dormand-Prince (see [`AdExSolver`]).
            #[param(non_negative)]
            pub solver: Scalar,
            /// Substeps per step of the fixed-step solvers.
            #[param(positive)]
            pub substeps: Scalar,
            /// Absolute error tolerance of the adaptive solver.
            #[param(positive)]
            pub tol: Scalar,
            /// Bound on the substeps per step of the adaptive solver.
            #[param(positive)]
            pub max_substeps: Scalar,
            #[derived((t_ref / dt).round())]
            ref_steps: Scalar,
            #[derived(dt / substeps.round().max(1.0))]
            h_fixed: Scalar,
            #[derived(dt / max_substeps)]
            h_min: Scalar,
            #[derived(if solver < 1.5 { substeps.round().max(1.0) + 2.0 } else { 4.0 * max_substeps + 8.0 })]
            max_iter: Scalar,
            /// Membrane potential (mV).
            #[var]
            v: Scalar,
            /// Adaptation current (pA).
            #[var]
            w: Scalar,
            /// Refractory steps left (initialise to 0).
            #[var]
            refrac: Scalar,
            /// 1 in a step in which the neuron spiked, else 0 (initialise to 0).
            #[var]
            spiked: Scalar,
            $($fields)*
        }

        #[neuron_model]
        impl $name {
            fn sim(&mut self, env: &mut NeuronEnv) {
                let dt = env.dt();
                let i_ext = env.isyn() + self.i_e;
                $( let $p = self.$p; )*
                $( self.$g += $input; )*
                let exp_euler = self.solver < 0.5;
                let rk4 = !exp_euler && self.solver < 1.5;
                let rk45 = self.solver >= 1.5;
                let n_stages: u32 = if exp_euler { 2 } else if rk4 { 5 } else { 7 };
                if self.refrac > 0.0 {
                    self.refrac -= 1.0;
                }
                let mut clamp = self.refrac > 0.0;
                self.spiked = 0.0;
                // Slopes k1..k7 of V, w and the extra states; the last stage
                // of every tableau is stored in k7 and evaluated at the new
                // state, so it is the next substep's k1 (first same as last).
                let mut kv1: Scalar = 0.0;
                let mut kv2: Scalar = 0.0;
                let mut kv3: Scalar = 0.0;
                let mut kv4: Scalar = 0.0;
                let mut kv5: Scalar = 0.0;
                let mut kv6: Scalar = 0.0;
                let mut kv7: Scalar = 0.0;
                let mut kw1: Scalar = 0.0;
                let mut kw2: Scalar = 0.0;
                let mut kw3: Scalar = 0.0;
                let mut kw4: Scalar = 0.0;
                let mut kw5: Scalar = 0.0;
                let mut kw6: Scalar = 0.0;
                let mut kw7: Scalar = 0.0;
                $(
                    let mut $k1: Scalar = 0.0;
                    let mut $k2: Scalar = 0.0;
                    let mut $k3: Scalar = 0.0;
                    let mut $k4: Scalar = 0.0;
                    let mut $k5: Scalar = 0.0;
                    let mut $k6: Scalar = 0.0;
                    let mut $k7: Scalar = 0.0;
                )*
                let mut $v: Scalar;
                let mut $w: Scalar;
                $( let mut $g: Scalar; )*
                let mut fsal = false;
                let mut h = if rk45 { dt } else { self.h_fixed };
                let mut rem: Scalar = dt;
                let mut iter: Scalar = 0.0;
                loop {
                    if self.v >= self.v_peak {
                        if self.spiked > 0.5 {
                            // A second crossing in this step: the spike waits for the next.
                            self.v = self.v_peak;
                            break;
                        }
                        self.v = self.v_reset;
                        self.w += self.b;
                        self.refrac = self.ref_steps;
                        self.spiked = 1.0;
                        clamp = self.ref_steps > 0.0;
                        fsal = false;
                        h = if rk45 { dt } else { self.h_fixed };
                    }
                    if rem <= 0.0 || iter >= self.max_iter {
                        break;
                    }
                    iter += 1.0;
                    let hh = if h >= 0.999999 * rem { rem } else { h };
                    $v = self.v;
                    $w = self.w;
                    $( $g = self.$g; )*
                    // Exponential Euler: x += hh phi(hh B) f(x), with B the
                    // linear coefficient of x, phi(z) = (e^z - 1) / z.
                    let zv = if clamp { -1.0 } else { -hh * (self.g_l + $gsyn) / self.c };
                    let zw = -hh / self.tau_w;
                    let ph_v = if exp_euler { zv.exp_m1() / zv } else { 1.0 };
                    let ph_w = if exp_euler { zw.exp_m1() / zw } else { 1.0 };
                    let mut s: u32 = if fsal { 1 } else { 0 };
                    while s < n_stages {
                        // Row s of the tableau (stage 0: the substep start).
                        let mut a1: Scalar = 0.0;
                        let mut a2: Scalar = 0.0;
                        let mut a3: Scalar = 0.0;
                        let mut a4: Scalar = 0.0;
                        let mut a5: Scalar = 0.0;
                        let mut a6: Scalar = 0.0;
                        if exp_euler {
                            a1 = 1.0;
                        } else if rk4 {
                            if s == 1 {
                                a1 = 0.5;
                            } else if s == 2 {
                                a2 = 0.5;
                            } else if s == 3 {
                                a3 = 1.0;
                            } else if s == 4 {
                                a1 = 1.0 / 6.0;
                                a2 = 1.0 / 3.0;
                                a3 = 1.0 / 3.0;
                                a4 = 1.0 / 6.0;
                            }
                        } else if s == 1 {
                            a1 = 1.0 / 5.0;
                        } else if s == 2 {
                            a1 = 3.0 / 40.0;
                            a2 = 9.0 / 40.0;
                        } else if s == 3 {
                            a1 = 44.0 / 45.0;
                            a2 = -56.0 / 15.0;
                            a3 = 32.0 / 9.0;
                        } else if s == 4 {
                            a1 = 19372.0 / 6561.0;
                            a2 = -25360.0 / 2187.0;
                            a3 = 64448.0 / 6561.0;
                            a4 = -212.0 / 729.0;
                        } else if s == 5 {
                            a1 = 9017.0 / 3168.0;
                            a2 = -355.0 / 33.0;
                            a3 = 46732.0 / 5247.0;
                            a4 = 49.0 / 176.0;
                            a5 = -5103.0 / 18656.0;
                        } else if s == 6 {
                            a1 = 35.0 / 384.0;
                            a3 = 500.0 / 1113.0;
                            a4 = 125.0 / 192.0;
                            a5 = -2187.0 / 6784.0;
                            a6 = 11.0 / 84.0;
                        }
                        if s == 0 {
                            a1 = 0.0;
                        }
                        $v = self.v
                            + hh * ph_v * (a1 * kv1 + a2 * kv2 + a3 * kv3 + a4 * kv4 + a5 * kv5 + a6 * kv6);
                        $w = self.w
                            + hh * ph_w * (a1 * kw1 + a2 * kw2 + a3 * kw3 + a4 * kw4 + a5 * kw5 + a6 * kw6);
                        $(
                            let z = -hh * $rate;
                            let ph = if exp_euler { z.exp_m1() / z } else { 1.0 };
                            $g = self.$g
                                + hh * ph * (a1 * $k1 + a2 * $k2 + a3 * $k3 + a4 * $k4 + a5 * $k5 + a6 * $k6);
                        )*
                        // The right-hand side, with V capped at V_peak (NEST).
                        let $v = if clamp { self.v_reset } else { $v.min(self.v_peak) };
                        let dv = if clamp {
                            0.0
                        } else {
                            (self.g_l * self.delta_t * (($v - self.v_t) / self.delta_t).exp()
                                - self.g_l * ($v - self.e_l)
                                - $w
                                + i_ext
                                + $isyn)
                                / self.c
                        };
                        let dw = (self.a * ($v - self.e_l) - $w) / self.tau_w;
                        if s + 1 == n_stages {
                            kv7 = dv;
                            kw7 = dw;
                            $( $k7 = $dg; )*
                        } else if s == 0 {
                            kv1 = dv;
                            kw1 = dw;
                            $( $k1 = $dg; )*
                        } else if s == 1 {
                            kv2 = dv;
                            kw2 = dw;
                            $( $k2 = $dg; )*
                        } else if s == 2 {
                            kv3 = dv;
                            kw3 = dw;
                            $( $k3 = $dg; )*
                        } else if s == 3 {
                            kv4 = dv;
                            kw4 = dw;
                            $( $k4 = $dg; )*
                        } else if s == 4 {
                            kv5 = dv;
                            kw5 = dw;
                            $( $k5 = $dg; )*
                        } else {
                            kv6 = dv;
                            kw6 = dw;
                            $( $k6 = $dg; )*
                        }
                        s += 1;
                    }
                    fsal = true;
                    let mut accept = true;
                    if rk45 {
                        // Dormand-Prince error estimate: hh * sum (b - b*) k.
                        let e1: Scalar = 71.0 / 57600.0;
                        let e3: Scalar = -71.0 / 16695.0;
                        let e4: Scalar = 71.0 / 1920.0;
                        let e5: Scalar = -17253.0 / 339200.0;
                        let e6: Scalar = 22.0 / 525.0;
                        let e7: Scalar = -1.0 / 40.0;
                        let eps = 4.0 * Scalar::EPSILON;
                        let mut err = (hh * (e1 * kv1 + e3 * kv3 + e4 * kv4 + e5 * kv5 + e6 * kv6 + e7 * kv7)).abs()
                            / (self.tol + eps * $v.abs());
                        err = err.max(
                            (hh * (e1 * kw1 + e3 * kw3 + e4 * kw4 + e5 * kw5 + e6 * kw6 + e7 * kw7)).abs()
                                / (self.tol + eps * $w.abs()),
                        );
                        $(
                            err = err.max(
                                (hh * (e1 * $k1 + e3 * $k3 + e4 * $k4 + e5 * $k5 + e6 * $k6 + e7 * $k7)).abs()
                                    / (self.tol + eps * $g.abs()),
                            );
                        )*
                        accept = err <= 1.0 || hh <= self.h_min;
                        h = (hh * (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)).max(self.h_min);
                    }
                    if accept {
                        self.v = $v.max(-1000.0);
                        self.w = $w;
                        $( self.$g = $g; )*
                        rem -= hh;
                        kv1 = kv7;
                        kw1 = kw7;
                        $( $k1 = $k7; )*
                    }
                }
            }
            fn threshold(&self, env: &NeuronEnv) -> bool {
                self.spiked > 0.5
            }
        }

        impl $name {
            /// Sets the `solver`, `substeps`, `tol` and `max_substeps` parameters.
            pub fn with_solver(mut self, solver: AdExSolver) -> Self {
                [self.solver, self.substeps, self.tol, self.max_substeps] = solver.params();
                self
            }
        }
    };
}

adex_model! {
    /// Current-based AdEx neuron (NEST's `aeif_psc_*` membrane: the
    /// synaptic input is `env.isyn()` in pA, e.g. from [`ExpCurr`](super::ExpCurr)
    /// for `aeif_psc_exp`), held constant over the step:
    ///
    /// `C dV/dt = -g_L (V - E_L) + g_L Δ_T exp((V - V_T)/Δ_T) - w + I_syn + I_e`,
    /// `τ_w dw/dt = a (V - E_L) - w`; at `V >= V_peak`: `V <- V_reset`,
    /// `w <- w + b`, refractory for `t_ref`. See the [module documentation](self)
    /// for the solvers and the spike handling.
    ///
    /// [`Default`] gives NEST's defaults (`C = 281` pF, `g_L = 30` nS,
    /// `E_L = -70.6`, `V_T = -50.4`, `Δ_T = 2`, `V_reset = -60`, `V_peak = 0` mV,
    /// `a = 4` nS, `τ_w = 144` ms, `b = 80.5` pA, `t_ref = 0`, `I_e = 0`) with
    /// [`AdExSolver::DEFAULT`]; [`AdEx::naud_2008`] the firing patterns of
    /// Naud et al. (2008). Variables to initialise: `v` (e.g. `E_L`), `w`,
    /// `refrac` and `spiked` (0).
    pub struct AdEx {}
    stage values v, w;
    reads;
    synaptic conductance 0.0;
    synaptic current 0.0;
}

adex_model! {
    /// Conductance-based AdEx neuron with exponential synaptic conductances
    /// integrated in the ODE, as NEST's `aeif_cond_exp`:
    ///
    /// `C dV/dt = -g_L (V - E_L) + g_L Δ_T exp((V - V_T)/Δ_T) - w
    ///  + g_ex (E_ex - V) + g_in (E_in - V) + I_syn + I_e`,
    /// `τ_w dw/dt = a (V - E_L) - w`, `dg_ex/dt = -g_ex / τ_syn_ex`,
    /// `dg_in/dt = -g_in / τ_syn_in` (nS); reset and refractoriness as
    /// [`AdEx`].
    ///
    /// Synaptic input arrives through the input ports `ex` and `inh`: connect
    /// synapse groups with [`DeltaCurr`](super::DeltaCurr) and
    /// `.target_port("ex")` / `.target_port("inh")`, with weights in nS (NEST's
    /// multisynapse idea: separate excitatory and inhibitory inputs with their
    /// own time constants and reversal potentials). What the ports receive in
    /// a step is added to `g_ex` / `g_in` at the start of the step. `isyn`
    /// (pA) is added to the current as in [`AdEx`].
    ///
    /// [`Default`] gives NEST's `aeif_cond_exp` defaults ([`AdEx`]'s, plus
    /// `E_ex = 0`, `E_in = -85` mV, `τ_syn_ex = 0.2`, `τ_syn_in = 2` ms).
    /// Variables to initialise: `v`, `w`, `g_ex`, `g_in`, `refrac`, `spiked`.
    pub struct AdExCond {
        /// Excitatory reversal potential (mV).
        #[param]
        pub e_ex: Scalar,
        /// Inhibitory reversal potential (mV).
        #[param]
        pub e_in: Scalar,
        /// Excitatory synaptic time constant (ms).
        #[param(positive)]
        pub tau_syn_ex: Scalar,
        /// Inhibitory synaptic time constant (ms).
        #[param(positive)]
        pub tau_syn_in: Scalar,
        #[derived(1.0 / tau_syn_ex)]
        rate_ex: Scalar,
        #[derived(1.0 / tau_syn_in)]
        rate_in: Scalar,
        /// Excitatory conductance (nS).
        #[var]
        g_ex: Scalar,
        /// Inhibitory conductance (nS).
        #[var]
        g_in: Scalar,
        /// Excitatory input port: conductance jumps (nS).
        #[input]
        ex: Scalar,
        /// Inhibitory input port: conductance jumps (nS).
        #[input]
        inh: Scalar,
    }
    stage values v, w;
    reads e_ex, e_in, rate_ex, rate_in, ex, inh;
    synaptic conductance g_ex + g_in;
    synaptic current g_ex * (e_ex - v) + g_in * (e_in - v);
    state g_ex += ex, d/dt = -g_ex * rate_ex, rate rate_ex,
        slopes ke1 ke2 ke3 ke4 ke5 ke6 ke7;
    state g_in += inh, d/dt = -g_in * rate_in, rate rate_in,
        slopes ki1 ki2 ki3 ki4 ki5 ki6 ki7;
}

impl Default for AdEx {
    fn default() -> Self {
        AdEx {
            c: 281.0,
            g_l: 30.0,
            e_l: -70.6,
            v_t: -50.4,
            delta_t: 2.0,
            a: 4.0,
            tau_w: 144.0,
            b: 80.5,
            v_reset: -60.0,
            v_peak: 0.0,
            t_ref: 0.0,
            i_e: 0.0,
            solver: 0.0,
            substeps: 1.0,
            tol: 1e-6,
            max_substeps: 1.0,
        }
        .with_solver(AdExSolver::DEFAULT)
    }
}

impl AdEx {
    /// The parameters of a firing pattern of Naud et al. (2008), Table 1,
    /// with `V_peak = 0` mV (the table gives none; from 0 mV the upstroke
    /// diverges within ~1e-10 ms, so any higher cut-off gives the same
    /// spike times), `t_ref = 0`, `I_e = 0` (inject [`NaudPattern::current`]
    /// to evoke the pattern) and [`AdExSolver::DEFAULT`].
    pub fn naud_2008(pattern: NaudPattern) -> Self {
        let [c, g_l, e_l, v_t, delta_t, a, tau_w, b, v_reset, _] = pattern.table();
        AdEx {
            c,
            g_l,
            e_l,
            v_t,
            delta_t,
            a,
            tau_w,
            b,
            v_reset,
            v_peak: 0.0,
            t_ref: 0.0,
            i_e: 0.0,
            ..AdEx::default()
        }
    }
}

impl Default for AdExCond {
    fn default() -> Self {
        let d = AdEx::default();
        AdExCond {
            c: d.c,
            g_l: d.g_l,
            e_l: d.e_l,
            v_t: d.v_t,
            delta_t: d.delta_t,
            a: d.a,
            tau_w: d.tau_w,
            b: d.b,
            v_reset: d.v_reset,
            v_peak: d.v_peak,
            t_ref: d.t_ref,
            i_e: d.i_e,
            solver: d.solver,
            substeps: d.substeps,
            tol: d.tol,
            max_substeps: d.max_substeps,
            e_ex: 0.0,
            e_in: -85.0,
            tau_syn_ex: 0.2,
            tau_syn_in: 2.0,
        }
    }
}

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![AdEx::DESC, AdExCond::DESC]
}
