//! Variable recordings on the device: after each sampled step a small
//! kernel copies the sampled neurons' values into a buffer of `rows`
//! samples (row `sample % rows`), which the runtime reads once per
//! `rows` samples, as spike recordings are read once per chunk.

use super::generator::{Generator, Params};
use super::{ArgSpec, BufferId, Contents, Launch, PopulationBuffers};
use crate::cgen::CType;
use snn_core::plan::StepPhase;

/// The device buffers of one variable recording
/// ([`snn_core::network::VarRecordingDesc`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarRecordingBuffers {
    /// `samples[rows * n]`, the variable's element type: sample `j` (taken
    /// after step `(j + 1) * every - 1`) in row `j % rows`.
    pub samples: BufferId,
    /// Samples the buffer holds before the runtime must read it.
    pub rows: u32,
}

/// The buffers and launches of every variable recording, for spike
/// recordings of `chunk` steps (a recording holds `chunk / every` samples,
/// at least one).
pub(super) fn var_recordings(
    g: &mut Generator<'_>,
    populations: &[PopulationBuffers],
    chunk: u32,
) -> (Vec<VarRecordingBuffers>, Vec<Launch>) {
    let mut buffers = Vec::new();
    let mut launches = Vec::new();
    for rec in g.net.var_recordings() {
        let pi = rec.population.0 as usize;
        let var = populations[pi].vars[rec.var];
        let elem = g.buffers[var].elem;
        let n = rec.neurons.len() as u32;
        // Rows of the sampled neurons, within the kernels' 32-bit indices.
        let rows = (chunk / rec.every).min(u32::MAX / n.max(1)).max(1);
        let owner = format!(
            "recording of `{}` of population `{}`",
            rec.var_name,
            g.net.populations()[pi].name
        );
        let neurons = g.buffer(
            format!("{owner}: neurons"),
            CType::U32,
            rec.neurons.len().max(1),
            Contents::Words(rec.neurons.clone()),
        );
        let samples = g.buffer(
            format!("{owner}: samples"),
            elem,
            (rows as usize * n as usize).max(1),
            Contents::Zero,
        );
        let mut params = Params::new();
        g.clock_params(&mut params, false);
        params.buffer(elem, "var", var);
        params.buffer(CType::U32, "neurons", neurons);
        params.buffer(elem, "samples", samples);
        params.push("unsigned int n".into(), ArgSpec::U32(n));
        params.push("unsigned int every".into(), ArgSpec::U32(rec.every));
        params.push("unsigned int rows".into(), ArgSpec::U32(rows));
        let body = "    const unsigned int i = GROUP_ID * LOCAL_SIZE + LOCAL_ID;\n    \
                    if (i >= n || (step + 1u) % every != 0u) return;\n    \
                    const unsigned int row = (unsigned int)(((step + 1u) / every - 1u) % rows);\n    \
                    samples[row * n + i] = var[neurons[i]];\n";
        let kernel = g.emit("record_var", &params, body);
        launches.push(Launch {
            kernel,
            threads: n.max(1),
            args: params.args,
            phase: StepPhase::AfterSpikes,
        });
        buffers.push(VarRecordingBuffers { samples, rows });
    }
    (buffers, launches)
}
