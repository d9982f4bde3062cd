//! Criterion benchmarks of the hot paths of a simulation step, on the CPU
//! backend and on every GPU backend that opens here (CUDA, OpenCL; a backend
//! that does not is skipped with a note):
//!
//! - `neuron_update`: 100,000 LIF neurons driven by a DC current source, no
//!   synapses (throughput: neuron updates);
//! - `poisson_input`: the same neurons driven by the microcircuit's
//!   background input instead (`PoissonExp`, 16 kHz total rate: one Poisson
//!   draw per neuron and step; throughput: neuron updates);
//! - `synapse_propagation`: 10,000 Poisson sources at 100 Hz onto 10,000 LIF
//!   neurons, fixed probability 0.05 (5e6 synapses, ~50,000 synaptic events
//!   per step; throughput: expected events);
//! - `recording`: 100,000 Poisson neurons at 50 Hz (~500 spikes per step),
//!   spikes recorded or not;
//! - `vector_path` (CPU only): 16,384 neurons of each built-in neuron model
//!   with a lane form, driven by a DC current, on the vector path
//!   (`<model>/lanes`) and on the scalar methods (`<model>/scalar`; the
//!   same bits; throughput: neuron updates).
//!
//! One iteration is `STEPS` steps (`run_steps`, which on a GPU ends with one
//! synchronisation). The simulation is built on first use and rebuilt,
//! outside the timing, every `MAX_STEPS` steps so that recorded spikes do not
//! pile up.
//!
//! ```sh
//! cargo bench -p snn --bench hot_paths                     # everything
//! cargo bench -p snn --bench hot_paths -- neuron_update    # one group
//! SNN_BENCH_BACKENDS=cpu cargo bench -p snn --bench hot_paths
//! ```

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use snn::cpu::VectorPath;
use snn::model::NeuronModel;
use snn::prelude::*;
use std::time::{Duration, Instant};

/// Steps per iteration.
const STEPS: u64 = 10;
/// Steps after which a simulation is rebuilt (outside the measurement).
const MAX_STEPS: u64 = 5000;

fn lif() -> Lif {
    Lif {
        c: 0.25,
        tau_m: 10.0,
        v_rest: -65.0,
        v_reset: -65.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}

/// A network of 100,000 LIF neurons (not recorded) and their population.
fn lif_network() -> (Network, PopulationId) {
    let mut net = Network::new(0.1).expect("dt");
    let pop = net
        .add_population("LIF", 100_000, lif())
        .init("v", VarInit::uniform(-65.0, -50.0))
        .init("refrac_time", 0.0)
        .build()
        .expect("population");
    (net, pop)
}

/// 100,000 LIF neurons with the microcircuit's Poisson background input
/// (2,000 inputs at 8 Hz through 0.5 ms exponential currents).
fn poisson_input_net() -> Network {
    let (mut net, pop) = lif_network();
    let background = PoissonExp {
        weight: 0.0878,
        tau_syn: 0.5,
        rate: 16_000.0,
    };
    net.add_current_source("background", pop, background)
        .init("current", 0.0)
        .build()
        .expect("current source");
    net
}

/// 100,000 LIF neurons with a DC input firing at ~60 Hz.
fn neuron_update_net() -> Network {
    let (mut net, pop) = lif_network();
    net.add_current_source("DC", pop, DC { amp: 0.3 })
        .build()
        .expect("current source");
    net
}

/// 10,000 Poisson sources at 100 Hz onto 10,000 LIF neurons, p = 0.05.
fn synapse_net() -> Network {
    let mut net = Network::new(0.1).expect("dt");
    let pre = net
        .add_population("Poisson", 10_000, Poisson { rate: 100.0 })
        .init("time_step_to_spike", 0.0)
        .build()
        .expect("population");
    let post = net
        .add_population("LIF", 10_000, lif())
        .init("v", -65.0)
        .init("refrac_time", 0.0)
        .build()
        .expect("population");
    net.add_synapse_group("Poisson_LIF", pre, post, StaticPulse, ExpCurr { tau: 0.5 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.05,
            autapses: false,
        })
        .wu_init("g", 0.0001)
        .build()
        .expect("synapse group");
    net
}

/// 100,000 Poisson neurons at 50 Hz, spikes recorded or not.
fn recording_net(record: bool) -> Network {
    let mut net = Network::new(0.1).expect("dt");
    net.add_population("Poisson", 100_000, Poisson { rate: 50.0 })
        .init("time_step_to_spike", 0.0)
        .record_spikes(record)
        .build()
        .expect("population");
    net
}

/// The backends to benchmark: the CPU, and each GPU backend that opens here,
/// unless `SNN_BENCH_BACKENDS` (e.g. `cpu,opencl`) says which.
fn backends() -> Vec<(&'static str, Backend)> {
    let all = [
        ("cpu", Backend::Cpu),
        ("cuda", Backend::Cuda),
        ("opencl", Backend::OpenCl),
    ];
    let wanted = std::env::var("SNN_BENCH_BACKENDS").ok();
    let mut probe = Network::new(0.1).expect("dt");
    probe
        .add_population("probe", 1, Poisson { rate: 0.0 })
        .init("time_step_to_spike", 0.0)
        .build()
        .expect("population");
    let mut out = Vec::new();
    for (name, backend) in all {
        if let Some(w) = &wanted {
            if !w.split(',').any(|x| x.trim().eq_ignore_ascii_case(name)) {
                continue;
            }
        }
        match backend.build(&probe) {
            Ok(sim) => {
                eprintln!("benchmarking {name}: {}", sim.backend_name());
                out.push((name, backend));
            }
            Err(e) => eprintln!("note: skipping the {name} benchmarks: {e}"),
        }
    }
    out
}

/// Benchmarks `STEPS` steps of `net` on `backend` as `id` in `group`.
fn bench_steps(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    backend: Backend,
    net: &Network,
) {
    let build = || {
        let mut sim = backend.build(net).expect("the network builds");
        sim.run_steps(STEPS).expect("the network runs"); // first launches, lazy set-up
        sim
    };
    // Built on first use, so that benchmarks filtered out build nothing.
    let mut current: Option<Box<dyn Simulation>> = None;
    group.bench_function(id, |b| {
        b.iter_custom(|iters| {
            if current.as_ref().is_none_or(|s| s.step_count() > MAX_STEPS) {
                current = Some(build());
            }
            let sim = current.as_mut().expect("built above");
            let t = Instant::now();
            for _ in 0..iters {
                sim.run_steps(STEPS).expect("the network runs");
            }
            t.elapsed()
        })
    });
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
}

/// One group `name` timing `net` on every backend, `elements` per step.
fn bench_network(
    c: &mut Criterion,
    backends: &[(&str, Backend)],
    name: &str,
    elements: u64,
    net: &Network,
) {
    let mut group = c.benchmark_group(name);
    configure(&mut group);
    group.throughput(Throughput::Elements(elements * STEPS));
    for &(backend_name, backend) in backends {
        bench_steps(&mut group, backend_name, backend, net);
    }
    group.finish();
}

/// Neurons per network of the `vector_path` group.
const VECTOR_NEURONS: u32 = 16_384;

/// [`VECTOR_NEURONS`] neurons of `model` (variables `inits`, `v` uniform
/// in `v`) driven by a DC current `amp`.
fn vector_net<M: NeuronModel>(model: M, inits: &[(&str, f64)], v: (f64, f64), amp: f64) -> Network {
    let mut net = Network::new(0.1).expect("dt");
    let mut b = net
        .add_population("P", VECTOR_NEURONS, model)
        .init("v", VarInit::uniform(v.0, v.1));
    for &(name, value) in inits {
        b = b.init(name, value);
    }
    let pop = b.build().expect("population");
    net.add_current_source("DC", pop, DC { amp })
        .build()
        .expect("current source");
    net
}

/// The `vector_path` group: each built-in neuron model with a lane form on
/// the CPU, lanes and scalar.
fn vector_path(c: &mut Criterion) {
    let hh = [("m", 0.05), ("h", 0.6), ("n", 0.32)];
    let adex = [("w", 0.0), ("refrac", 0.0), ("spiked", 0.0)];
    let adex_cond = [adex.as_slice(), &[("g_ex", 0.0), ("g_in", 0.0)]].concat();
    let izh_var = [
        ("u", -13.0),
        ("a", 0.02),
        ("b", 0.2),
        ("c", -65.0),
        ("d", 8.0),
    ];
    let izh = Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    };
    let nets = [
        (
            "Lif",
            vector_net(lif(), &[("refrac_time", 0.0)], (-65.0, -50.0), 0.3),
        ),
        (
            "Izhikevich",
            vector_net(izh, &[("u", -13.0)], (-70.0, -50.0), 10.0),
        ),
        (
            "IzhikevichVariable",
            vector_net(IzhikevichVariable {}, &izh_var, (-70.0, -50.0), 10.0),
        ),
        (
            "TraubMiles",
            vector_net(TraubMiles::COBAHH, &hh, (-70.0, -55.0), 0.2),
        ),
        (
            "TraubMilesExpEuler",
            vector_net(TraubMiles::COBAHH.exp_euler(1), &hh, (-70.0, -55.0), 0.2),
        ),
        (
            "TraubMilesEuler",
            vector_net(TraubMiles::COBAHH.euler(25), &hh, (-70.0, -55.0), 0.2),
        ),
        (
            "AdEx",
            vector_net(AdEx::default(), &adex, (-70.0, -50.0), 600.0),
        ),
        (
            "AdExCond",
            vector_net(AdExCond::default(), &adex_cond, (-70.0, -50.0), 600.0),
        ),
    ];
    let mut group = c.benchmark_group("vector_path");
    configure(&mut group);
    group.throughput(Throughput::Elements(VECTOR_NEURONS as u64 * STEPS));
    for (name, net) in &nets {
        for (path, mode) in [("lanes", VectorPath::Always), ("scalar", VectorPath::Never)] {
            let mut sim = CpuSimulation::new(net).expect("the network builds");
            sim.set_vector_path(mode);
            group.bench_function(format!("{name}/{path}"), |b| {
                b.iter(|| sim.run_steps(STEPS).expect("the network runs"))
            });
        }
    }
    group.finish();
}

fn hot_paths(c: &mut Criterion) {
    let backends = backends();
    bench_network(c, &backends, "neuron_update", 100_000, &neuron_update_net());
    bench_network(c, &backends, "poisson_input", 100_000, &poisson_input_net());
    // 10,000 sources * 100 Hz * 0.1 ms = 100 spikes per step, 500 targets each.
    bench_network(c, &backends, "synapse_propagation", 50_000, &synapse_net());

    let recorded = recording_net(true);
    let unrecorded = recording_net(false);
    let mut group = c.benchmark_group("recording");
    configure(&mut group);
    group.throughput(Throughput::Elements(100_000 * STEPS));
    for &(name, backend) in &backends {
        bench_steps(&mut group, &format!("{name}/recorded"), backend, &recorded);
        bench_steps(
            &mut group,
            &format!("{name}/not_recorded"),
            backend,
            &unrecorded,
        );
    }
    group.finish();
}

criterion_group!(benches, hot_paths, vector_path);
criterion_main!(benches);
