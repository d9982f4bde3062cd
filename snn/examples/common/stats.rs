//! Spike statistics shared by the examples' models and their tests
//! (`#[path]` include).

#![allow(dead_code)]

use snn::prelude::*;

/// Mean rate (Hz) and mean CV of ISI of a population's spikes in
/// `[t_start, t_stop)` ms; the CV averages over neurons with at least 4
/// spikes in the window (NaN if none).
pub fn rate_and_cv(spikes: &SpikeRecord, size: u32, t_start: f64, t_stop: f64) -> (f64, f64) {
    let mut per_neuron: Vec<Vec<f64>> = vec![Vec::new(); size as usize];
    for (&t, &i) in spikes.times.iter().zip(&spikes.ids) {
        if t >= t_start && t < t_stop {
            per_neuron[i as usize].push(t);
        }
    }
    let count: usize = per_neuron.iter().map(|v| v.len()).sum();
    let rate = count as f64 / size as f64 / ((t_stop - t_start) / 1000.0);
    let cvs: Vec<f64> = per_neuron
        .iter()
        .filter(|v| v.len() >= 4)
        .map(|v| {
            let isi: Vec<f64> = v.windows(2).map(|w| w[1] - w[0]).collect();
            let m = isi.iter().sum::<f64>() / isi.len() as f64;
            let var = isi.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / isi.len() as f64;
            var.sqrt() / m
        })
        .collect();
    let cv = if cvs.is_empty() {
        f64::NAN
    } else {
        cvs.iter().sum::<f64>() / cvs.len() as f64
    };
    (rate, cv)
}
