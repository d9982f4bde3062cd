//! Hodgkin-Huxley type neurons: the Traub & Miles (1991) model of GeNN's
//! `TraubMiles` and Brian2's `COBAHH` example.

use crate::neuron_model;

/// Hodgkin-Huxley neuron with the Traub & Miles (1991) sodium and
/// potassium kinetics (GeNN's `TraubMiles`; Brian2's `COBAHH`, the HH
/// benchmark of Brette et al. 2007).
///
/// Units as GeNN: mV, ms, uS, nF, nA (`Isyn` in nA).
///
/// ```text
/// c dv/dt = -g_na m^3 h (v - e_na) - g_k n^4 (v - e_k) - g_leak (v - e_leak) + Isyn
/// dx/dt   = alpha_x(v) (1 - x) - beta_x(v) x            for x in m, h, n
/// with u = v - v_t (mV), rates in 1/ms:
/// alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)   beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
/// alpha_h = 0.128 exp((17 - u) / 18)                  beta_h = 4 / (1 + exp((40 - u) / 5))
/// alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1)  beta_n = 0.5 exp((10 - u) / 40)
/// ```
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
/// is ~2.8 h). `Isyn` itself is explicit over `dt`, as in GeNN, so very
/// large synaptic conductances (`g dt / c` near 1) need a smaller `dt`.
///
/// Spike: `v >= v_thresh` after a step where it was below (auto-refractory
/// upward crossing); there is no reset, the action potential repolarises by
/// itself. GeNN uses `v_thresh = 0` mV, Brian2's COBAHH `-20` mV.
///
/// Published values: [`TraubMiles::GENN`] (GeNN's defaults; initial
/// `v = -60, m = 0.0529324, h = 0.3176767, n = 0.5961207`) and
/// [`TraubMiles::COBAHH`] (Brian2's, for a membrane area of 20,000 um^2;
/// initial `m = h = n = 0`).
#[neuron_model]
pub struct TraubMiles {
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
    /// Number of RK4 substeps per timestep.
    #[derived((dt / 0.02 - 1e-9).ceil().max(1.0))]
    n_sub: Scalar,
    /// RK4 substep (ms).
    #[derived(dt / (dt / 0.02 - 1e-9).ceil().max(1.0))]
    h_sub: Scalar,
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
}

#[neuron_model]
impl TraubMiles {
    fn sim(&mut self, env: &mut NeuronEnv) {
        let i_syn = env.isyn();
        let step = self.h_sub;
        let n_sub = self.n_sub as i32;
        for _sub in 0..n_sub {
            let v0 = self.v;
            let m0 = self.m;
            let h0 = self.h;
            let n0 = self.n;
            // Stage state and the weighted sums of the stage derivatives.
            let mut vs = v0;
            let mut ms = m0;
            let mut hs = h0;
            let mut ns = n0;
            let mut sum_v: Scalar = 0.0;
            let mut sum_m: Scalar = 0.0;
            let mut sum_h: Scalar = 0.0;
            let mut sum_n: Scalar = 0.0;
            for stage in 0..4 {
                let u = vs - self.v_t;
                let xm = (13.0 - u) / 4.0;
                let alpha_m = if xm.abs() < 1e-6 {
                    1.28 * (1.0 - 0.5 * xm)
                } else {
                    1.28 * xm / xm.exp_m1()
                };
                let ym = (u - 40.0) / 5.0;
                let beta_m = if ym.abs() < 1e-6 {
                    1.4 * (1.0 - 0.5 * ym)
                } else {
                    1.4 * ym / ym.exp_m1()
                };
                let alpha_h = 0.128 * ((17.0 - u) / 18.0).exp();
                let beta_h = 4.0 / (1.0 + ((40.0 - u) / 5.0).exp());
                let xn = (15.0 - u) / 5.0;
                let alpha_n = if xn.abs() < 1e-6 {
                    0.16 * (1.0 - 0.5 * xn)
                } else {
                    0.16 * xn / xn.exp_m1()
                };
                let beta_n = 0.5 * ((10.0 - u) / 40.0).exp();
                let i_mem = i_syn
                    - self.g_na * ms * ms * ms * hs * (vs - self.e_na)
                    - self.g_k * ns * ns * ns * ns * (vs - self.e_k)
                    - self.g_leak * (vs - self.e_leak);
                let dv = i_mem / self.c;
                let dm = alpha_m * (1.0 - ms) - beta_m * ms;
                let dh = alpha_h * (1.0 - hs) - beta_h * hs;
                let dn = alpha_n * (1.0 - ns) - beta_n * ns;
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
            }
            self.v = v0 + step / 6.0 * sum_v;
            self.m = m0 + step / 6.0 * sum_m;
            self.h = h0 + step / 6.0 * sum_h;
            self.n = n0 + step / 6.0 * sum_n;
        }
    }
    fn threshold(&self, env: &NeuronEnv) -> bool {
        self.v >= self.v_thresh
    }
}

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    use crate::model::Model;
    vec![TraubMiles::DESC]
}
