//! The printed C computes what the CPU backend computes.
//!
//! Each test prints the methods of a small network's models as C functions,
//! wraps them in a program that runs the step of docs/ARCHITECTURE.md
//! ("Semantics of one step") for a single neuron, builds it with the system
//! C compiler (`-O0 -ffp-contract=off -fno-fast-math`: IEEE operations in
//! source order, as Rust does them) and compares every state variable after
//! every step with `snn_cpu::CpuSimulation` on the same network, in `f32`
//! and `f64`. The values must be bit-identical: the printed code performs
//! the same IEEE operations in the same order, and the transcendental
//! functions used at run time (`sin`, `ln`, `atan` in `Sink`) are
//! `snn_core::math`'s on both sides (the model macros rewrite the native
//! code's calls to it, the printer prints its C twins). No tolerance is
//! needed; the models' `exp`s are in derived parameters, computed on the host.

use crate::common::{build_and_run, parse_value, print_spec, program_prelude, scalar, Instance};
use snn_core::builtin::*;
use snn_core::dsl::{EnvCall, Method};
use snn_core::model::{FieldKind, Model, ModelDesc, NeuronModel};
use snn_core::network::PopulationId;
use snn_core::sim::{Simulation, SimulationExt};
use snn_core::Precision;
use snn_cpu::CpuSimulation;
use snn_kernels::cgen::{f64_literal, CType};
use std::fmt::Write as _;

/// Parameter values then derived values of a model instance.
fn consts<M: Model>(m: &M, dt: f64) -> Vec<f64> {
    let params = m.param_values();
    let mut all = params.clone();
    all.extend(M::derived_values(&params, dt));
    all
}

/// The environment of neuron code in the test programs.
fn neuron_env(call: EnvCall, _args: &[String]) -> Result<String, String> {
    Ok(match call {
        EnvCall::T => "g_t".into(),
        EnvCall::Dt => "g_dt".into(),
        EnvCall::Isyn => "g_isyn".into(),
        EnvCall::Id => "0u".into(),
        other => return Err(format!("`{other}` is not used by these tests")),
    })
}

/// The environment of postsynaptic and current-source code.
fn input_env(call: EnvCall, args: &[String]) -> Result<String, String> {
    match call {
        EnvCall::InjectCurrent => Ok(format!("g_injected += {}", args[0])),
        other => neuron_env(other, args),
    }
}

/// The state variables of a model, with their C types.
fn vars(desc: &ModelDesc, p: Precision) -> Vec<(&'static str, CType)> {
    desc.fields_of(FieldKind::Var)
        .chain(desc.fields_of(FieldKind::InSyn))
        .map(|f| (f.name, CType::from_ir(f.ty, p)))
        .collect()
}

/// C statements of a neuron update (`spiked` receives the spike), as the CPU
/// backend's runner does it.
fn neuron_update(n: &Instance, spiked: &str) -> String {
    let threshold = |s: &str| {
        if n.has(Method::Threshold) {
            format!("{}threshold()", n.prefix)
        } else {
            s.to_string()
        }
    };
    let mut s = String::new();
    let auto = n.desc.auto_refractory;
    writeln!(
        s,
        "        {{ bool was_above = {};",
        if auto {
            threshold("false")
        } else {
            "false".into()
        }
    )
    .unwrap();
    if n.has(Method::Sim) {
        writeln!(s, "          {}sim();", n.prefix).unwrap();
    }
    let reset = if n.has(Method::Reset) {
        format!("{}reset(); ", n.prefix)
    } else {
        String::new()
    };
    writeln!(
        s,
        "          {spiked} = {} && !was_above; if ({spiked}) {{ {reset}}} }}",
        threshold("false")
    )
    .unwrap();
    s
}

/// A `printf` of `" <value>"` for each variable of an instance.
fn print_vars(inst: &Instance, p: Precision) -> String {
    let mut s = String::new();
    for (name, ty) in vars(inst.desc, p) {
        let (fmt, arg) = print_spec(&inst.var(name), ty);
        writeln!(s, "        printf(\" {fmt}\", {arg});").unwrap();
    }
    s
}

/// The C program's output: per step, the spike flag of the observed neuron
/// and the values of the observed instances' variables.
struct Trace {
    spikes: Vec<u64>,
    rows: Vec<Vec<f64>>,
}

/// Parses the program output (`<spike> <values...>` per line).
fn parse_trace(out: &str, types: &[CType]) -> Trace {
    let mut spikes = Vec::new();
    let mut rows = Vec::new();
    for (step, line) in out.lines().enumerate() {
        let mut tokens = line.split_whitespace();
        if tokens.next() == Some("1") {
            spikes.push(step as u64);
        }
        let row: Vec<f64> = tokens
            .zip(types)
            .map(|(t, &ty)| parse_value(t, ty))
            .collect();
        assert_eq!(row.len(), types.len(), "line {step}: {line}");
        rows.push(row);
    }
    Trace { spikes, rows }
}

/// Bit-identical, NaN equal to NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Compares a C trace with the CPU's.
fn compare(what: &str, names: &[String], c: &Trace, cpu: &Trace) {
    assert_eq!(c.rows.len(), cpu.rows.len(), "{what}: number of steps");
    for (step, (a, b)) in c.rows.iter().zip(&cpu.rows).enumerate() {
        for ((x, y), name) in a.iter().zip(b).zip(names) {
            assert!(
                same(*x, *y),
                "{what}: `{name}` after step {step}: C {x:e} ({:#x}), CPU {y:e} ({:#x})",
                x.to_bits(),
                y.to_bits()
            );
        }
    }
    assert_eq!(c.spikes, cpu.spikes, "{what}: spike steps");
}

/// Spike steps of a population on the CPU.
fn cpu_spike_steps(sim: &mut CpuSimulation, pop: PopulationId, dt: f64) -> Vec<u64> {
    let rec = sim.spikes(pop).unwrap();
    rec.times.iter().map(|t| (t / dt).round() as u64).collect()
}

/// One neuron of model `M` with initial values `init`, driven by a DC source
/// of amplitude `amp`, for `steps` steps of `dt`, in C and on the CPU.
fn neuron_with_dc<M: NeuronModel>(
    model: M,
    init: &[(&'static str, f64)],
    amp: f64,
    dt: f64,
    steps: usize,
    p: Precision,
) -> (Vec<String>, Trace) {
    let what = format!("{} + DC in {p:?}", M::DESC.name);
    let s = scalar(p);
    // C.
    let mut n = Instance::new(M::DESC, "n_", consts(&model, dt));
    n.init = init.to_vec();
    let dc = Instance::new(DC::DESC, "cs_", consts(&DC { amp }, dt));
    let mut src = program_prelude();
    writeln!(
        src,
        "static {0} g_t, g_dt, g_isyn, g_injected;\n{1}{2}{3}{4}",
        s.c_name(),
        n.globals(p),
        dc.globals(p),
        n.functions(p, &neuron_env),
        dc.functions(p, &input_env)
    )
    .unwrap();
    writeln!(
        src,
        "int main(void)\n{{\n    long step;\n    g_dt = ({})({});\n    for (step = 0; step < {steps}; step++) {{\n        bool spiked;\n        g_t = ({})((double)step * {});",
        s.c_name(),
        f64_literal(dt),
        s.c_name(),
        f64_literal(dt)
    )
    .unwrap();
    src.push_str(
        "        g_isyn = 0;\n        g_injected = 0; cs_inject(); g_isyn += g_injected;\n",
    );
    src.push_str(&neuron_update(&n, "spiked"));
    src.push_str("        printf(\"%d\", spiked ? 1 : 0);\n");
    src.push_str(&print_vars(&n, p));
    src.push_str("        printf(\"\\n\");\n    }\n    return 0;\n}\n");
    let var_list = vars(M::DESC, p);
    let types: Vec<CType> = var_list.iter().map(|v| v.1).collect();
    let names: Vec<String> = var_list.iter().map(|v| v.0.to_string()).collect();
    let c = parse_trace(
        &build_and_run(&format!("{}_dc_{p:?}", M::DESC.name), &src),
        &types,
    );

    // CPU.
    let mut net = snn_core::network::Network::new(dt).unwrap();
    net.set_precision(p);
    let mut b = net.add_population("n", 1, model).record_spikes(true);
    // Variables not in `init` start at 0, as the C globals do.
    for (name, _) in vars(M::DESC, p) {
        let v = init
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0.0, |(_, v)| *v);
        b = b.init(name, v);
    }
    let pop = b.build().unwrap();
    net.add_current_source("dc", pop, DC { amp })
        .build()
        .unwrap();
    let mut sim = CpuSimulation::new(&net).unwrap();
    let mut rows = Vec::new();
    for _ in 0..steps {
        sim.step().unwrap();
        rows.push(
            var_list
                .iter()
                .map(|(name, _)| sim.var_values(pop, name).unwrap()[0])
                .collect(),
        );
    }
    let cpu = Trace {
        spikes: cpu_spike_steps(&mut sim, pop, dt),
        rows,
    };
    compare(&what, &names, &c, &cpu);
    assert!(
        !cpu.spikes.is_empty(),
        "{what}: the test should make the neuron spike"
    );
    (names, c)
}

#[test]
fn lif_with_dc_matches_the_cpu_backend_bit_for_bit() {
    let lif = Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -51.0,
        i_offset: 0.25,
        tau_refrac: 2.0,
    };
    for p in [Precision::F32, Precision::F64] {
        let _ = neuron_with_dc(
            lif.clone(),
            &[("v", -65.0), ("refrac_time", 0.0)],
            1.3,
            0.1,
            3000,
            p,
        );
    }
}

#[test]
fn izhikevich_with_dc_matches_the_cpu_backend_bit_for_bit() {
    let izh = Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    };
    for p in [Precision::F32, Precision::F64] {
        let _ = neuron_with_dc(
            izh.clone(),
            &[("v", -65.0), ("u", -13.0)],
            10.0,
            0.5,
            2000,
            p,
        );
    }
}

#[test]
fn test_model_sink_matches_the_cpu_backend_bit_for_bit() {
    for p in [Precision::F32, Precision::F64] {
        let (names, trace) = neuron_with_dc(
            crate::models::Sink { k: 3.7 },
            &[
                ("x", 0.3),
                ("y", 0.05),
                ("n", 7.0),
                ("m", -3.0),
                ("big", 12345.0),
            ],
            0.45,
            0.1,
            500,
            p,
        );
        // The run reaches both ends of the saturating casts (where C's
        // conversions are undefined, and x86 gives i32::MIN for both).
        let column = |name: &str| {
            let k = names.iter().position(|n| n == name).unwrap();
            trace.rows.iter().map(move |r| r[k])
        };
        let values = |name: &str| column(name).collect::<Vec<f64>>();
        for (name, lo, hi) in [
            ("sat", f64::from(i32::MIN), f64::from(i32::MAX)),
            ("sat_u", 0.0, 255.0),
        ] {
            let v = values(name);
            assert!(
                v.contains(&lo) && v.contains(&hi),
                "{p:?}: `{name}` never saturated"
            );
        }
        assert!(column("sat_nan").all(|v| v == 0.0));
    }
}

#[test]
fn spike_source_static_pulse_exp_curr_lif_matches_the_cpu_backend_bit_for_bit() {
    let dt = 0.1;
    let steps = 1500;
    let times = vec![
        1.0, 3.05, 3.1, 10.0, 10.0, 20.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0,
    ];
    let lif = Lif {
        c: 1.0,
        tau_m: 10.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -55.0,
        i_offset: 0.0,
        tau_refrac: 2.0,
    };
    let psm = ExpCurr { tau: 5.0 };
    let amp = 1.2;
    let weight = 0.9;
    for p in [Precision::F32, Precision::F64] {
        let what = format!("SpikeSourceArray -> StaticPulse/ExpCurr -> Lif + DC in {p:?}");
        let s = scalar(p);
        let st = spike_times(std::slice::from_ref(&times));

        // C: pre (spike source), synapse, postsynaptic model, post (Lif), DC.
        let mut pre = Instance::new(SpikeSourceArray::DESC, "pre_", vec![]);
        pre.init = vec![
            ("start_spike", st.start_spike[0]),
            ("end_spike", st.end_spike[0]),
        ];
        pre.egps = vec![("spike_times", st.spike_times.clone())];
        let mut wu = Instance::new(StaticPulse::DESC, "wu_", vec![]);
        wu.init = vec![("g", weight)];
        let ps = Instance::new(ExpCurr::DESC, "ps_", consts(&psm, dt));
        let mut post = Instance::new(Lif::DESC, "n_", consts(&lif, dt));
        post.init = vec![("v", -70.0)];
        let dc = Instance::new(DC::DESC, "cs_", consts(&DC { amp }, dt));
        let wu_env = |call: EnvCall, args: &[String]| match call {
            EnvCall::AddToPost => Ok(format!("ps_in_syn += {}", args[0])),
            other => neuron_env(other, args),
        };
        let mut src = program_prelude();
        writeln!(src, "static {} g_t, g_dt, g_isyn, g_injected;", s.c_name()).unwrap();
        for inst in [&pre, &wu, &ps, &post, &dc] {
            src.push_str(&inst.globals(p));
        }
        src.push_str(&pre.functions(p, &neuron_env));
        src.push_str(&wu.functions(p, &wu_env));
        src.push_str(&ps.functions(p, &input_env));
        src.push_str(&post.functions(p, &neuron_env));
        src.push_str(&dc.functions(p, &input_env));
        writeln!(
            src,
            "int main(void)\n{{\n    long step;\n    bool pre_spiked = false;\n    g_dt = ({0})({1});\n    for (step = 0; step < {steps}; step++) {{\n        bool spiked;\n        g_t = ({0})((double)step * {1});",
            s.c_name(),
            f64_literal(dt)
        )
        .unwrap();
        // 1. Synapse update with the previous step's spikes.
        src.push_str("        if (pre_spiked) { wu_on_pre_spike(); }\n");
        // 3. Post neuron: input, current source, neuron, decay.
        src.push_str("        g_isyn = 0;\n");
        src.push_str("        g_injected = 0; ps_apply_input(); g_isyn += g_injected;\n");
        src.push_str("        g_injected = 0; cs_inject(); g_isyn += g_injected;\n");
        src.push_str(&neuron_update(&post, "spiked"));
        src.push_str("        ps_decay();\n");
        // The spike source.
        src.push_str("        g_isyn = 0;\n");
        src.push_str(&neuron_update(&pre, "pre_spiked"));
        src.push_str("        printf(\"%d\", spiked ? 1 : 0);\n");
        src.push_str(&print_vars(&post, p));
        src.push_str(&print_vars(&ps, p));
        src.push_str(&print_vars(&pre, p));
        src.push_str("        printf(\"\\n\");\n    }\n    return 0;\n}\n");
        let observed: Vec<(&Instance, &'static str, CType)> = [&post, &ps, &pre]
            .into_iter()
            .flat_map(|inst| {
                vars(inst.desc, p)
                    .into_iter()
                    .map(move |(n, t)| (inst, n, t))
            })
            .collect();
        let types: Vec<CType> = observed.iter().map(|o| o.2).collect();
        let names: Vec<String> = observed
            .iter()
            .map(|(i, n, _)| format!("{}{n}", i.prefix))
            .collect();
        let c = parse_trace(&build_and_run(&format!("chain_{p:?}"), &src), &types);

        // CPU.
        let mut net = snn_core::network::Network::new(dt).unwrap();
        net.set_precision(p);
        let pre_pop = net
            .add_population("pre", 1, SpikeSourceArray)
            .init("start_spike", st.start_spike.clone())
            .init("end_spike", st.end_spike.clone())
            .egp("spike_times", st.spike_times.clone())
            .build()
            .unwrap();
        let post_pop = net
            .add_population("post", 1, lif.clone())
            .init("v", -70.0)
            .init("refrac_time", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_synapse_group("syn", pre_pop, post_pop, StaticPulse, psm.clone())
            .wu_init("g", weight)
            .build()
            .unwrap();
        net.add_current_source("dc", post_pop, DC { amp })
            .build()
            .unwrap();
        let mut sim = CpuSimulation::new(&net).unwrap();
        let mut rows = Vec::new();
        for _ in 0..steps {
            sim.step().unwrap();
            let mut row = Vec::new();
            for (inst, name, _) in &observed {
                let v = match inst.prefix.as_str() {
                    "n_" => sim.var_values(post_pop, name).unwrap(),
                    "ps_" => sim.postsynaptic_var_values("syn", name).unwrap(),
                    _ => sim.var_values(pre_pop, name).unwrap(),
                };
                row.push(v[0]);
            }
            rows.push(row);
        }
        let cpu = Trace {
            spikes: cpu_spike_steps(&mut sim, post_pop, dt),
            rows,
        };
        compare(&what, &names, &c, &cpu);
        assert!(
            !cpu.spikes.is_empty(),
            "{what}: the post neuron should spike"
        );
        // Every input spike was delivered (start_spike reached end_spike).
        let last = c.rows.last().unwrap();
        assert_eq!(last[last.len() - 2], times.len() as f64, "{what}");
    }
}
