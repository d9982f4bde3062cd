//! Prints the generated kernel source of a small network (for inspection).
use snn_core::prelude::*;

fn lif() -> Lif {
    Lif {
        c: 1.0,
        tau_m: 20.0,
        v_rest: -70.0,
        v_reset: -70.0,
        v_thresh: -50.0,
        i_offset: 0.5,
        tau_refrac: 2.0,
    }
}

fn main() -> Result<()> {
    let mut net = Network::new(0.1)?;
    let a = net
        .add_population("A", 10, lif())
        .init("v", -60.0)
        .init("refrac_time", 0.0)
        .record_spikes(true)
        .build()?;
    let b = net
        .add_population("B", 10, lif())
        .init("v", -60.0)
        .init("refrac_time", 0.0)
        .build()?;
    net.add_current_source("I", a, DC { amp: 1.0 }).build()?;
    net.add_synapse_group("AB", a, b, StaticPulse, ExpCurr { tau: 5.0 })
        .connectivity(Connectivity::FixedProbability {
            p: 0.5,
            autapses: true,
        })
        .wu_init("g", 0.25)
        .axonal_delay(2)
        .build()?;
    let rows = snn_core::initial::InitialState::new(&net)?.longest_rows();
    let plan = snn_kernels::network::generate(&net, &rows).expect("generate");
    println!("{}", plan.source);
    Ok(())
}
