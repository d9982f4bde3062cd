//! The Pavlovian-conditioning experiment (Izhikevich 2007) shortened to
//! `MINUTES` of biological time with a fixed seed, on every backend: the
//! rewarded stimulus S1 must come to evoke a far larger network response
//! than the other stimuli, and the synapses from S1 neurons must end up
//! stronger than the rest. The full hour is the example's
//! (`cargo run --release --example pavlovian`).

#[path = "../../examples/pavlovian/model.rs"]
mod model;

use model::{
    build, mean_responses, mean_weights, probe, responses, spike_steps, Params, Protocol, DT,
};
use snn::sim::SimulationExt;

/// Biological time of the shortened run.
const MINUTES: f64 = 10.0;

snn::backend_tests! {
    fn conditioning_strengthens_the_rewarded_stimulus(backend) {
        let params = Params::default();
        let seed = 7;
        let exp = build(&params, seed, true).unwrap();
        let Some(mut sim) = backend.build(&exp.net) else { return };
        let steps = (MINUTES * 60_000.0 / DT) as u64;
        let mut protocol = Protocol::new(seed, &params, 0);
        // Before learning: weights are uniform.
        let (w_s1_0, w_rest_0) = mean_weights(&sim, &exp).unwrap();
        assert_eq!(w_s1_0, w_rest_0);
        protocol.run(&mut sim, &exp, &params, steps, |_| {}).unwrap();
        // Probe without reward: S1 and ten other stimuli, three times each.
        let probed = probe(&mut sim, &exp, &params, &(0..=10).collect::<Vec<_>>(), 3, 200).unwrap();
        let spikes = [
            sim.spikes(exp.exc).unwrap(),
            sim.spikes(exp.inh).unwrap(),
        ];
        let steps_all = spike_steps(&[&spikes[0], &spikes[1]]);
        let early = responses(&protocol.presentations, &steps_all, 50, 0, steps / 5);
        let late = responses(&protocol.presentations, &steps_all, 50, steps / 2, steps);
        let (s1_early, rest_early) = mean_responses(&early);
        let (s1_late, rest_late) = mean_responses(&late);
        let (s1_probe, rest_probe) =
            mean_responses(&responses(&probed, &steps_all, 50, steps, u64::MAX));
        let (w_s1, w_rest) = mean_weights(&sim, &exp).unwrap();
        let s1_count = protocol.presentations.iter().filter(|p| p.stimulus == 0).count();
        println!(
            "{} presentations ({s1_count} of S1), {} rewards; response early S1 {s1_early:?} \
             others {rest_early:?}; late S1 {s1_late:?} others {rest_late:?}; probe S1 {s1_probe:?} others \
             {rest_probe:?}; mean weight from S1 \
             {w_s1:.3}, others {w_rest:.3}",
            protocol.presentations.len(),
            protocol.rewards.len()
        );
        assert!(protocol.rewards.len() >= 5, "too few rewards to learn from");
        let (s1_late, rest_late) = (s1_late.unwrap(), rest_late.unwrap());
        assert!(
            s1_late > 2.0 * rest_late,
            "late response to S1 ({s1_late}) is not far above the others' ({rest_late})"
        );
        let (s1_probe, rest_probe) = (s1_probe.unwrap(), rest_probe.unwrap());
        assert!(
            s1_probe > 2.0 * rest_probe,
            "probe response to S1 ({s1_probe}) is not far above the others' ({rest_probe})"
        );
        assert!(
            w_s1 > 1.5 * w_rest,
            "mean weight from S1 neurons ({w_s1}) does not exceed the rest ({w_rest})"
        );
    }
}
