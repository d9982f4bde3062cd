//! Helpers shared by the integration tests.

#![allow(dead_code)]

use snn::prelude::*;

/// A recorded `SpikeSourceArray` population emitting, for neuron `i`,
/// spikes in the steps `steps[i]` (times `k * dt`, compared by the source
/// against `step * dt`).
pub fn add_source(net: &mut Network, name: &str, steps: &[Vec<u64>]) -> PopulationId {
    let dt = net.dt();
    let times: Vec<Vec<f64>> = steps
        .iter()
        .map(|s| s.iter().map(|&k| k as f64 * dt).collect())
        .collect();
    let st = spike_times(&times);
    net.add_population(name, steps.len() as u32, SpikeSourceArray)
        .init("start_spike", st.start_spike)
        .init("end_spike", st.end_spike)
        .egp("spike_times", st.spike_times)
        .record_spikes(true)
        .build()
        .unwrap()
}
