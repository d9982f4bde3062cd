//! The device clock: the step and its time in two one-element buffers
//! that every step kernel reads at its start and one small kernel
//! advances at the end of each step. The launches of a step are then the
//! same every step (no per-step arguments), so a sequence of steps can be
//! recorded once and replayed (CUDA graphs) with no host work per step.

use super::generator::{Generator, Params};
use super::{ArgSpec, BufferId, Launch};
use crate::cgen::CType;
use snn_core::plan::StepPhase;
use snn_core::Precision;

/// The buffers of the device clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockBuffers {
    /// `snn_u64[1]`: the step the next launches compute.
    pub step: BufferId,
    /// `scalar[1]`: its time, `(scalar)(step as f64 * dt)` as on the host.
    pub time: BufferId,
}

/// The last launch of a step: `step += 1` and the new step's time.
pub(super) fn advance_launch(g: &mut Generator<'_>) -> Launch {
    let mut params = Params::new();
    params.buffer(CType::U64, "clock_step", g.clock.step);
    params.buffer(g.scalar_type(), "clock_t", g.clock.time);
    params.push("snn_u64 dt_bits".into(), ArgSpec::U64(g.net.dt().to_bits()));
    let body = "    if (GROUP_ID == 0u && LOCAL_ID == 0u) {\n        \
                const snn_u64 s = clock_step[0] + 1u;\n        \
                clock_step[0] = s;\n        \
                clock_t[0] = snn_step_time(s, dt_bits);\n    }\n";
    let kernel = g.emit("advance_clock", &params, body);
    Launch {
        kernel,
        threads: 1,
        args: params.args,
        phase: StepPhase::AfterSpikes,
    }
}

/// `snn_step_time(step, dt_bits)`: the time of `step` in precision `p`
/// exactly as the host computes it, `(scalar)((double)step * dt)` with
/// `dt`'s bits `dt_bits`. OpenCL programs in `f32` have no `double`: there
/// the product is rounded to 53 bits and then to 24 in integer arithmetic
/// (the same two roundings, to nearest even).
pub fn step_time_source(p: Precision) -> &'static str {
    match p {
        Precision::F64 => {
            "SNN_FN double snn_step_time(snn_u64 step, snn_u64 dt_bits)\n{\n    \
             return (double)step * SNN_F64_FROM_BITS(dt_bits);\n}\n\n"
        }
        Precision::F32 => STEP_TIME_F32,
    }
}

/// [`step_time_source`] in `f32`.
const STEP_TIME_F32: &str = include_str!("step_time.h");
