//! Spike and variable recording, and reading / writing state.
//!
//! Spikes recorded in step `s` are reported at time `s * dt`; variable samples
//! are taken after every step `s` with `(s + 1) % every == 0` and stamped
//! `(s + 1) * dt`. Spike recording goes through chunked bitfield buffers
//! (`recording_chunk_steps`), which must be invisible to the user.
//!
//! Every test runs on every backend (`snn::backend_tests!`) with the same
//! exact checks: the GPU runtime records spikes in device bitfields pulled
//! once per chunk and samples variables after the step, so chunking and
//! sampling must be just as invisible there.

use crate::common::add_source;
use snn::prelude::*;

const DT: f64 = 0.1;

/// Small deterministic generator (64-bit LCG, high bits) for fixed test data,
/// independent of the library's RNG.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random but fixed spike steps: `n` neurons over `steps` steps; neuron 5 has
/// none, neuron 1 spikes in every step, the last neuron in the first and last
/// steps only, the others at 0..=25 random distinct steps.
fn spike_steps(n: usize, steps: u64, seed: u64) -> Vec<Vec<u64>> {
    let mut rng = Lcg(seed);
    (0..n)
        .map(|i| match i {
            5 => vec![],
            1 => (0..steps).collect(),
            _ if i == n - 1 => vec![0, steps - 1],
            _ => {
                let k = rng.below(26);
                let mut s: Vec<u64> = (0..k).map(|_| rng.below(steps)).collect();
                s.sort_unstable();
                s.dedup();
                s
            }
        })
        .collect()
}

/// The expected record: sorted by step, then id; times `k as f64 * dt`.
fn expected_record(steps: &[Vec<u64>], dt: f64, until: u64) -> SpikeRecord {
    let mut pairs: Vec<(u64, u32)> = steps
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.iter()
                .filter(|&&k| k < until)
                .map(move |&k| (k, i as u32))
        })
        .collect();
    pairs.sort_unstable();
    SpikeRecord {
        times: pairs.iter().map(|&(k, _)| k as f64 * dt).collect(),
        ids: pairs.iter().map(|&(_, i)| i).collect(),
    }
}

fn assert_same_record(got: &SpikeRecord, want: &SpikeRecord, what: &str) {
    assert_eq!(got.ids, want.ids, "{what}: ids");
    assert_eq!(got.times.len(), want.times.len(), "{what}");
    for (k, (g, w)) in got.times.iter().zip(&want.times).enumerate() {
        // Exact: both are `step as f64 * dt`.
        assert!(
            g.to_bits() == w.to_bits(),
            "{what}: spike {k} at {g}, want {w}"
        );
    }
}

snn::backend_tests! {
    fn spike_source_array_times_come_back_exactly_through_chunks(backend) {
        let steps = 200u64;
        for (n, precision) in [
            (70usize, Precision::F32),
            (70, Precision::F64),
            (33, Precision::F32),
            (96, Precision::F64),
        ] {
            let given = spike_steps(n, steps, 42 + n as u64);
            let mut net = Network::new(DT).unwrap();
            net.set_precision(precision);
            net.recording_chunk_steps = 7; // 200 steps = 28 full chunks + 4 steps
            let pop = add_source(&mut net, "Src", &given);
            let Some(mut sim) = backend.build(&net) else { return };
            let want = expected_record(&given, DT, steps);
            assert!(want.len() > 200 + n, "enough spikes ({})", want.len());

            // Read part-way (in the middle of a chunk), then continue.
            sim.run_steps(53).unwrap();
            assert_same_record(
                &sim.spikes(pop).unwrap(),
                &expected_record(&given, DT, 53),
                "after 53 steps",
            );
            sim.run_steps(steps - 53).unwrap();
            let got = sim.spikes(pop).unwrap();
            assert_same_record(&got, &want, &format!("{n} neurons, {precision:?}"));
            // Asking again changes nothing.
            assert_same_record(&sim.spikes(pop).unwrap(), &want, "second read");
            assert!(!got.ids.contains(&5), "neuron 5 has no spikes");
            assert_eq!(got.ids.iter().filter(|&&i| i == 1).count() as u64, steps);
            assert_eq!(
                got.ids.iter().filter(|&&i| i as usize == n - 1).count(),
                2,
                "last neuron (bit {} of word {})",
                (n - 1) % 32,
                (n - 1) / 32
            );
        }
    }

    fn chunk_size_does_not_matter(backend) {
        let given = spike_steps(45, 150, 7);
        let want = expected_record(&given, DT, 150);
        for chunk in [1, 2, 7, 149, 150, 151, 1000] {
            let mut net = Network::new(DT).unwrap();
            net.recording_chunk_steps = chunk;
            let pop = add_source(&mut net, "Src", &given);
            let Some(mut sim) = backend.build(&net) else { return };
            sim.run_steps(150).unwrap();
            assert_same_record(
                &sim.spikes(pop).unwrap(),
                &want,
                &format!("chunk {chunk}"),
            );
        }
    }

    fn var_recording_samples_every_k_steps_after_the_step(backend) {
        // A Lif population spanning two CPU blocks (block size 4096) with noise, so
        // every sample differs; sampled neurons in both blocks, unsorted, repeated.
        let ids = vec![4100u32, 0, 7, 4095, 4096, 4199, 7];
        for precision in [Precision::F32, Precision::F64] {
            let mut net = Network::new(DT).unwrap();
            net.set_precision(precision);
            let pop = net
                .add_population(
                    "Lif",
                    4200,
                    Lif {
                        c: 0.25,
                        tau_m: 10.0,
                        v_rest: -65.0,
                        v_reset: -70.0,
                        v_thresh: -50.0,
                        i_offset: 0.0,
                        tau_refrac: 2.0,
                    },
                )
                .init("v", VarInit::uniform(-70.0, -50.0))
                .init("refrac_time", 0.0)
                .record_spikes(true)
                .build()
                .unwrap();
            net.add_current_source("Noise", pop, GaussianNoise { mean: 0.4, sd: 0.3 })
                .build()
                .unwrap();
            let k = 3;
            let rec_v = net
                .record_var(pop, "v", Neurons::Ids(ids.clone()), k)
                .unwrap();
            let rec_r = net.record_var(pop, "refrac_time", Neurons::All, 1).unwrap();
            let Some(mut sim) = backend.build(&net) else { return };
            let mut want_times = Vec::new();
            let mut want_v = Vec::new();
            let mut want_r = Vec::new();
            for s in 0..100u64 {
                sim.step().unwrap();
                let v = sim.var_values(pop, "v").unwrap();
                want_r.extend(sim.var_values(pop, "refrac_time").unwrap());
                if (s + 1) % k as u64 == 0 {
                    want_times.push((s + 1) as f64 * DT);
                    want_v.extend(ids.iter().map(|&i| v[i as usize]));
                }
            }
            let got = sim.recorded_var(rec_v).unwrap();
            assert_eq!(got.neurons, ids);
            assert_eq!(got.times.len(), 33, "samples after steps 2, 5, ..., 98");
            assert_eq!(
                bits(&got.times),
                bits(&want_times),
                "{precision:?}: sample times (s + 1) * dt"
            );
            assert_eq!(
                bits(&got.values),
                bits(&want_v),
                "{precision:?}: sampled values"
            );
            assert_eq!(got.trace(1).len(), 33);
            assert_eq!(got.trace(2), got.trace(6), "a neuron sampled twice");
            let all = sim.recorded_var(rec_r).unwrap();
            assert_eq!(all.neurons, (0..4200).collect::<Vec<_>>());
            assert_eq!(all.times.len(), 100);
            assert_eq!(all.times[0], DT);
            assert_eq!(
                bits(&all.values),
                bits(&want_r),
                "{precision:?}: refrac_time of all neurons"
            );
            // The dynamics are live: neurons spiked (refractory values appear) and V moved.
            assert!(want_r.iter().any(|&r| r > 0.0));
            assert!(sim.spikes(pop).unwrap().len() > 100);
        }
    }

    fn set_and_get_variables_round_trip(backend) {
        let n = 4500usize; // two blocks
        let mut rng = Lcg(3);
        let values: Vec<f64> = (0..n)
            .map(|_| -80.0 + 40.0 * rng.below(1 << 20) as f64 / (1 << 20) as f64)
            .collect();
        // f64: exact. f32: values are stored in f32, so they come back as
        // `x as f32 as f64` (exact for f32-representable values such as k / 2^20 - 80).
        for precision in [Precision::F64, Precision::F32] {
            let mut net = Network::new(DT).unwrap();
            net.set_precision(precision);
            let pop = net
                .add_population("Lif", n as u32, lif_params())
                .init("v", -65.0)
                .init("refrac_time", 0.0)
                .build()
                .unwrap();
            let Some(mut sim) = backend.build(&net) else { return };
            sim.set_var_values(pop, "v", &values).unwrap();
            assert_eq!(
                sim.var_values(pop, "v").unwrap(),
                values,
                "{precision:?}"
            );
            let odd: Vec<f64> = (0..n).map(|i| 0.1 * i as f64 - 300.0).collect();
            sim.set_var_values("Lif", "refrac_time", &odd)
                .unwrap();
            let back = sim.var_values("Lif", "refrac_time").unwrap();
            let want: Vec<f64> = match precision {
                Precision::F64 => odd.clone(),
                Precision::F32 => odd.iter().map(|&x| x as f32 as f64).collect(),
            };
            assert_eq!(back, want, "{precision:?}");
            // Bad input is an error, not a panic.
            assert!(matches!(
                sim.set_var_values(pop, "v", &values[1..]),
                Err(Error::SizeMismatch { .. })
            ));
            assert!(sim.set_var_values(pop, "w", &values).is_err());
            assert!(sim.var_values("Nope", "v").is_err());
        }
        // Integer variables (u32 start_spike of a spike source) round-trip exactly.
        let mut net = Network::new(DT).unwrap();
        let src = add_source(&mut net, "Src", &[vec![1, 2], vec![3]]);
        let Some(mut sim) = backend.build(&net) else { return };
        assert_eq!(
            sim.var_values(src, "start_spike").unwrap(),
            vec![0.0, 2.0]
        );
        sim.set_var_values(src, "start_spike", &[1.0, 3.0])
            .unwrap();
        assert_eq!(
            sim.var_values(src, "start_spike").unwrap(),
            vec![1.0, 3.0]
        );
    }

    fn synapse_variables_round_trip(backend) {
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let a = net
            .add_population("A", 50, lif_params())
            .init("v", -65.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        let b = net
            .add_population("B", 60, lif_params())
            .init("v", -65.0)
            .init("refrac_time", 0.0)
            .build()
            .unwrap();
        net.add_synapse_group("AB", a, b, StaticPulse, ExpCurr { tau: 5.0 })
            .connectivity(Connectivity::FixedProbability {
                p: 0.3,
                autapses: true,
            })
            .wu_init("g", 0.5)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        let n = sim.connectivity("AB").unwrap().num_synapses() as usize;
        assert!(n > 500);
        let g: Vec<f64> = (0..n).map(|i| i as f64 * 0.25 - 7.0).collect();
        sim.set_synapse_var_values("AB", "g", &g).unwrap();
        assert_eq!(sim.synapse_var_values("AB", "g").unwrap(), g);
        assert!(sim.set_synapse_var_values("AB", "g", &g[1..]).is_err());
    }

    fn lif_set_above_threshold_spikes_in_the_next_step(backend) {
        // Neurons 0 and 2 are set above threshold (-50 mV) while not refractory,
        // neuron 1 below it, neuron 3 above it but refractory. With no input V
        // relaxes towards -65 by exp(-0.1/20) per step, so neurons 0 and 2 are
        // still above threshold after `sim` in the next step and must spike in it
        // (step 5, time 0.5 ms), then sit at v_reset with refrac_time = tau_refrac.
        let mut net = Network::new(DT).unwrap();
        net.set_precision(Precision::F64);
        let pop = net
            .add_population("Lif", 4, lif_params())
            .init("v", -65.0)
            .init("refrac_time", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        let Some(mut sim) = backend.build(&net) else { return };
        sim.run_steps(5).unwrap();
        sim.set_var_values(pop, "v", &[-40.0, -55.0, 10.0, -40.0])
            .unwrap();
        sim.set_var_values(pop, "refrac_time", &[0.0, 0.0, 0.0, 1.0])
            .unwrap();
        sim.step().unwrap();
        let sp = sim.spikes(pop).unwrap();
        assert_eq!(
            sp.ids,
            vec![0, 2],
            "neurons set above threshold spike in the next step"
        );
        assert_eq!(sp.times, vec![0.5, 0.5]);
        let v = sim.var_values(pop, "v").unwrap();
        assert_eq!((v[0], v[2]), (-70.0, -70.0), "reset to v_reset");
        assert_eq!(sim.var_values(pop, "refrac_time").unwrap()[0], 2.0);
        // Neuron 3 stays clamped while refractory (its V is not integrated).
        assert_eq!(v[3], -40.0);
    }
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn lif_params() -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -65.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}
