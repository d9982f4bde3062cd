//! Every kernel generated for the examples and for networks using every
//! built-in model (the step kernels and the device-initialisation kernels)
//! compiles: with NVRTC for sm_80 and sm_90 (no GPU needed;
//! `SNN_REQUIRE_NVRTC=1`, set by the project's test command, turns a
//! missing NVRTC into a failure instead of a loud skip), and with the
//! OpenCL compiler of the first OpenCL device (PoCL in CI).

use crate::microcircuit::model as microcircuit;

use snn::prelude::*;
use snn_core::initial::InitialState;
use snn_kernels::dialect::{program, Dialect};
use snn_kernels::network::generate_plan;

fn lif() -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    }
}

fn stdp_additive() -> StdpAdditive {
    StdpAdditive {
        tau_plus: 20.0,
        tau_minus: 20.0,
        a_plus: 0.01,
        a_minus: 0.012,
        w_min: 0.0,
        w_max: 1.0,
    }
}

fn dopamine_stdp() -> DopamineStdp {
    DopamineStdp {
        tau_plus: 20.0,
        tau_minus: 20.0,
        tau_c: 1000.0,
        tau_d: 200.0,
        a_plus: 0.1,
        a_minus: 0.15,
        d_amount: 0.5,
        w_min: 0.0,
        w_max: 4.0,
    }
}

/// The network of `examples/izhikevich.rs`.
fn izhikevich_example() -> Network {
    let mut net = Network::new(0.1).unwrap();
    let pop = net
        .add_population("Neurons", 4, IzhikevichVariable)
        .init("v", -65.0)
        .init("u", -20.0)
        .init("a", vec![0.02, 0.1, 0.02, 0.02])
        .init("b", vec![0.2, 0.2, 0.2, 0.2])
        .init("c", vec![-65.0, -65.0, -50.0, -55.0])
        .init("d", vec![8.0, 2.0, 2.0, 4.0])
        .record_spikes(true)
        .build()
        .unwrap();
    net.add_current_source("CurrentSource", pop, DC { amp: 10.0 })
        .build()
        .unwrap();
    net
}

/// The network of `examples/microcircuit` (its kernels do not depend on the
/// scale; 1 % keeps the host-side setup small).
fn microcircuit_example(dc_input: bool) -> Network {
    let options = microcircuit::Options {
        n_scale: 0.01,
        k_scale: 0.01,
        dc_input,
        thalamus: !dc_input,
        ..Default::default()
    };
    microcircuit::build(&microcircuit::Params::published(), &options)
        .unwrap()
        .net
}

/// One network using every built-in model, in `precision`.
fn all_builtins(precision: Precision) -> Network {
    let mut net = Network::new(0.1).unwrap();
    net.set_precision(precision);
    let st = spike_times(&[vec![1.0, 2.0], vec![3.0]]);
    let ssa = net
        .add_population("SSA", 2, SpikeSourceArray)
        .init("start_spike", st.start_spike)
        .init("end_spike", st.end_spike)
        .egp("spike_times", st.spike_times)
        .record_spikes(true)
        .build()
        .unwrap();
    let poisson = net
        .add_population("Poisson", 100, Poisson { rate: 10.0 })
        .init("time_step_to_spike", 0.0)
        .build()
        .unwrap();
    let lif = net
        .add_population("LIF", 100, lif())
        .init("v", VarInit::normal(-60.0, 2.0))
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let izh = net
        .add_population(
            "Izh",
            50,
            Izhikevich {
                a: 0.02,
                b: 0.2,
                c: -65.0,
                d: 8.0,
            },
        )
        .init("v", -65.0)
        .init("u", -13.0)
        .build()
        .unwrap();
    // Variable recordings: their sampling kernels.
    net.record_var(lif, "v", Neurons::Ids(vec![3, 1]), 3)
        .unwrap();
    net.record_var(izh, "u", Neurons::All, 1).unwrap();
    net.add_synapse_group("SSA_LIF", ssa, lif, StaticPulse, ExpCurr { tau: 5.0 })
        .connectivity(Connectivity::AllToAll { autapses: true })
        .wu_init("g", 0.5)
        .axonal_delay(3)
        .build()
        .unwrap();
    net.add_synapse_group("P_LIF", poisson, lif, StaticPulseDendriticDelay, DeltaCurr)
        .connectivity(Connectivity::FixedProbability {
            p: 0.1,
            autapses: true,
        })
        .wu_init("g", 0.1)
        .wu_init("d", VarInit::uniform(0.0, 10.0))
        .max_dendritic_delay(10)
        .span(Span::Presynaptic)
        .build()
        .unwrap();
    net.add_synapse_group(
        "LIF_Izh",
        lif,
        izh,
        StaticPulse,
        ExpCond {
            tau: 5.0,
            e_rev: 0.0,
        },
    )
    .connectivity(Connectivity::FixedNumberPost {
        n: 5,
        autapses: true,
    })
    .wu_init("g", 0.01)
    .build()
    .unwrap();
    // Plasticity: pre/post variables, spike times, the column-wise view,
    // spike-like events driven by an extra global parameter.
    net.add_synapse_group(
        "LIF_LIF_STDP",
        lif,
        lif,
        stdp_additive(),
        ExpCurr { tau: 5.0 },
    )
    .connectivity(Connectivity::FixedProbability {
        p: 0.1,
        autapses: false,
    })
    .wu_init("g", 0.1)
    .pre_init("x", 0.0)
    .post_init("y", 0.0)
    .build()
    .unwrap();
    net.add_synapse_group(
        "Izh_LIF_STDP",
        izh,
        lif,
        StdpMultiplicative {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.012,
            w_min: 0.0,
            w_max: 1.0,
        },
        DeltaCurr,
    )
    .connectivity(Connectivity::FixedNumberPost {
        n: 10,
        autapses: true,
    })
    .span(Span::Presynaptic)
    .wu_init("g", VarInit::uniform(0.0, 0.5))
    .pre_init("x", 0.0)
    .post_init("y", VarInit::uniform(0.0, 1.0))
    .build()
    .unwrap();
    net.add_synapse_group("Poisson_Izh_DA", poisson, izh, dopamine_stdp(), DeltaCurr)
        .connectivity(Connectivity::FixedProbability {
            p: 0.1,
            autapses: true,
        })
        .wu_init("g", 0.5)
        .wu_init("c", 0.0)
        .wu_init("t_last", 0.0)
        .wu_egp("inject_dopamine", vec![0.0])
        .build()
        .unwrap();
    net.add_current_source("Noise", lif, GaussianNoise { mean: 0.1, sd: 0.5 })
        .build()
        .unwrap();
    net.add_current_source(
        "Background",
        izh,
        PoissonExp {
            weight: 1.0,
            tau_syn: 0.5,
            rate: 8.0,
        },
    )
    .init("current", 0.0)
    .build()
    .unwrap();
    net.add_current_source("DC", izh, DC { amp: 2.0 })
        .build()
        .unwrap();
    // AdEx, one population per solver; AdExCond fed through its input ports.
    for (name, solver) in [
        ("AdExEE", AdExSolver::ExponentialEuler { substeps: 2 }),
        ("AdExRK4", AdExSolver::Rk4 { substeps: 2 }),
        ("AdExRK45", AdExSolver::DEFAULT),
    ] {
        let adex = net
            .add_population(name, 10, AdEx::default().with_solver(solver))
            .init("v", -70.0)
            .init("w", 0.0)
            .init("refrac", 0.0)
            .init("spiked", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_current_source(&format!("{name}_DC"), adex, DC { amp: 500.0 })
            .build()
            .unwrap();
    }
    let cond = net
        .add_population("AdExCond", 10, AdExCond::default())
        .init("v", -70.0)
        .init("w", 0.0)
        .init("g_ex", 0.0)
        .init("g_in", 0.0)
        .init("refrac", 0.0)
        .init("spiked", 0.0)
        .build()
        .unwrap();
    for port in ["ex", "inh"] {
        net.add_synapse_group(
            &format!("LIF_AdExCond_{port}"),
            lif,
            cond,
            StaticPulse,
            DeltaCurr,
        )
        .wu_init("g", 1.0)
        .target_port(port)
        .build()
        .unwrap();
    }
    add_traub_miles(&mut net);
    add_model_library(&mut net, lif);
    net
}

/// The voltage-jump LIF, alpha synapses, Tsodyks-Markram synapses and gap
/// junctions, fed from the population `lif`.
fn add_model_library(net: &mut Network, lif: PopulationId) {
    let l = self::lif();
    let delta = LifDelta {
        c: l.c,
        tau_m: l.tau_m,
        v_rest: l.v_rest,
        v_reset: l.v_reset,
        v_thresh: l.v_thresh,
        i_offset: l.i_offset,
        tau_refrac: l.tau_refrac,
    };
    let jump = net
        .add_population("LifDelta", 10, delta)
        .init("v", -65.0)
        .init("refrac_time", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("LIF_Jump", lif, jump, StaticPulse, DeltaCurr)
        .wu_init("g", 0.5)
        .target_port("jump")
        .build()
        .unwrap();
    net.add_synapse_group(
        "LIF_AlphaCurr",
        lif,
        jump,
        StaticPulse,
        AlphaCurr { tau: 2.0 },
    )
    .wu_init("g", 0.5)
    .psm_init("x", 0.0)
    .build()
    .unwrap();
    let cond = AlphaCond {
        tau: 2.0,
        e_rev: 0.0,
    };
    net.add_synapse_group("LIF_AlphaCond", lif, lif, StaticPulse, cond)
        .wu_init("g", 0.01)
        .psm_init("g", 0.0)
        .build()
        .unwrap();
    let tm = TsodyksMarkram {
        u0: 0.5,
        tau_rec: 100.0,
        tau_fac: 0.0,
        tau_psc: 3.0,
    };
    net.add_synapse_group("LIF_TM", lif, jump, tm, ExpCurr { tau: 3.0 })
        .wu_init("g", 1.0)
        .wu_init("x", 1.0)
        .wu_init("y", 0.0)
        .wu_init("u", 0.0)
        .build()
        .unwrap();
    net.add_synapse_group("LIF_Gap", lif, lif, GapJunction, DeltaCurr)
        .connectivity(Connectivity::OneToOne)
        .wu_init("g", 0.01)
        .build()
        .unwrap();
}

/// One population per Traub-Miles integrator (RK4, exponential Euler,
/// forward Euler), each with a DC input.
fn add_traub_miles(net: &mut Network) {
    let base = TraubMiles::COBAHH;
    add_hh(net, "HHRK4", base.clone());
    add_hh(net, "HHExpEuler", base.clone().exp_euler(2));
    add_hh(net, "HHEuler", base.euler(25));
}

/// A population `name` of 10 Traub-Miles neurons with `model`, driven by DC.
fn add_hh<M: snn::model::NeuronModel>(net: &mut Network, name: &str, model: M) {
    let pop = net
        .add_population(name, 10, model)
        .init("v", -60.0)
        .init("m", 0.0)
        .init("h", 0.0)
        .init("n", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    net.add_current_source(&format!("{name}_DC"), pop, DC { amp: 0.2 })
        .build()
        .unwrap();
}

/// Every network whose kernels are checked, with a name.
fn networks() -> Vec<(&'static str, Network)> {
    vec![
        ("izhikevich example", izhikevich_example()),
        ("all built-ins f32", all_builtins(Precision::F32)),
        ("all built-ins f64", all_builtins(Precision::F64)),
        (
            "microcircuit example (with thalamus)",
            microcircuit_example(false),
        ),
        (
            "microcircuit example (DC input)",
            microcircuit_example(true),
        ),
    ]
}

/// Captures the program `init_on_device` compiles, then stops it.
struct InitSourceCatcher {
    f64: bool,
    source: std::cell::RefCell<Option<String>>,
}

impl snn_gpu::device::Device for InitSourceCatcher {
    type Buffer = ();
    fn description(&self) -> String {
        "source catcher".into()
    }
    fn supports_f64(&self) -> bool {
        self.f64
    }
    fn compile(&self, source: &str) -> snn_gpu::device::DeviceResult<()> {
        *self.source.borrow_mut() = Some(source.to_string());
        Err(snn_gpu::device::DeviceError::Failed {
            operation: "compile".into(),
            reason: "source captured".into(),
        })
    }
    fn alloc_zeroed(&self, _: usize) -> snn_gpu::device::DeviceResult<()> {
        Ok(())
    }
    fn write(&self, _: &(), _: usize, _: &[u8]) -> snn_gpu::device::DeviceResult<()> {
        Ok(())
    }
    fn read(&self, _: &(), _: usize, _: &mut [u8]) -> snn_gpu::device::DeviceResult<()> {
        Ok(())
    }
    fn zero(&self, _: &()) -> snn_gpu::device::DeviceResult<()> {
        Ok(())
    }
    fn launch(
        &self,
        _: &str,
        _: snn_gpu::device::LaunchDims,
        _: &[snn_gpu::device::Arg<'_, ()>],
    ) -> snn_gpu::device::DeviceResult<()> {
        Ok(())
    }
    fn synchronize(&self) -> snn_gpu::device::DeviceResult<()> {
        Ok(())
    }
}

/// The complete device-initialisation program of `net` in `dialect`.
fn init_program(net: &Network, dialect: Dialect) -> String {
    let catcher = InitSourceCatcher {
        f64: true,
        source: Default::default(),
    };
    let _ = snn_gpu::init_kernels::init_on_device(
        &catcher,
        net,
        dialect,
        &snn_gpu::init_kernels::ModelSnippets,
    );
    catcher
        .source
        .into_inner()
        .expect("init_on_device compiles a program")
}

/// The generated kernel source of `net` (without prelude), launches
/// merged within `max_param_bytes` of kernel parameters (0: not merged).
fn kernels(net: &Network, max_param_bytes: usize) -> String {
    let rows = InitialState::new(net).unwrap().longest_rows();
    generate_plan(net, &rows, None, max_param_bytes)
        .unwrap()
        .source
}

/// With `SNN_DUMP_KERNELS=<dir>`, writes every program the NVRTC test
/// compiles into `<dir>` (to read the generated code, or to compare it
/// before and after a change to the generator).
fn dump_if_asked(name: &str, what: &str, source: &str) {
    if let Some(dir) = std::env::var_os("SNN_DUMP_KERNELS") {
        let dir = std::path::Path::new(&dir);
        std::fs::create_dir_all(dir).expect("SNN_DUMP_KERNELS: cannot create the folder");
        let file = format!("{name} {what}.cu").replace([' ', '(', ')'], "_");
        std::fs::write(dir.join(file), source).expect("SNN_DUMP_KERNELS: cannot write");
    }
}

#[test]
fn every_kernel_compiles_with_nvrtc_for_sm80_and_sm90() {
    if let Err(e) = snn_cuda_host::nvrtc_version() {
        if std::env::var("SNN_REQUIRE_NVRTC").is_ok_and(|v| v == "1") {
            panic!("SNN_REQUIRE_NVRTC=1 but NVRTC is unavailable: {e}");
        }
        snn::testing::report_skip(&format!(
            "NVRTC not found ({e}); run scripts/install-nvrtc.sh, or set SNN_REQUIRE_NVRTC=1 to fail"
        ));
        return;
    }
    let mut compiled = 0;
    for (name, net) in networks() {
        // Merged as on a CUDA device, and not merged (`SNN_MERGE_KERNELS=0`).
        let merged = kernels(&net, snn_cuda_host::MAX_PARAM_BYTES);
        let step = program(Dialect::Cuda, net.precision(), &merged);
        let unmerged = program(Dialect::Cuda, net.precision(), &kernels(&net, 0));
        let init = init_program(&net, Dialect::Cuda);
        dump_if_asked(name, "step", &step);
        dump_if_asked(name, "step unmerged", &unmerged);
        dump_if_asked(name, "init", &init);
        for (src, arch) in [
            (&step, "sm_80"),
            (&step, "sm_90"),
            (&unmerged, "sm_90"),
            (&init, "sm_80"),
            (&init, "sm_90"),
        ] {
            let ptx = snn_cuda_host::compile_ptx(src, arch)
                .unwrap_or_else(|e| panic!("{name}: NVRTC for {arch} failed: {e}"));
            // Every kernel of the source is an entry point of the PTX.
            for line in src.lines().filter(|l| l.starts_with("KERNEL void ")) {
                let rest = &line["KERNEL void ".len()..];
                let kernel = &rest[..rest.find('(').unwrap_or(rest.len())];
                assert!(
                    ptx.contains(&format!(".entry {kernel}(")),
                    "{name}: kernel {kernel} missing from the {arch} PTX"
                );
                compiled += 1;
            }
        }
    }
    assert!(compiled >= 20, "only {compiled} kernels compiled");
}

#[test]
fn every_kernel_compiles_with_opencl() {
    use snn_gpu::device::Device;
    if !snn::testing::TestBackend::OpenCl.check() {
        return;
    }
    let dev = snn_opencl_host::OpenClDevice::new(snn_opencl_host::DeviceSelection::Any).unwrap();
    for (name, net) in networks() {
        if net.precision() == Precision::F64 && !dev.supports_f64() {
            snn::testing::report_skip(&format!("{name}: the OpenCL device has no f64"));
            continue;
        }
        let src = program(
            Dialect::OpenCl,
            net.precision(),
            &kernels(&net, dev.max_param_bytes()),
        );
        dev.compile(&src)
            .unwrap_or_else(|e| panic!("{name}: OpenCL build failed: {e}"));
    }
}
