//! Izhikevich (2007), "Solving the distal reward problem through linkage of
//! STDP and dopamine signaling": the Pavlovian-conditioning experiment,
//! shared by the example (`main.rs`) and its test (`tests/it/pavlovian.rs`).
//!
//! 800 excitatory (regular spiking) and 200 inhibitory (fast spiking)
//! Izhikevich neurons, 10 % random connectivity, delta-current synapses.
//! Excitatory synapses learn with [`DopamineStdp`] (eligibility trace x
//! dopamine; initial weight 1, bounds [0, 4]); inhibitory ones are fixed at
//! -1. Every neuron gets a noise current U(-6.5, 6.5) every step. 100
//! stimuli (random sets of 50 excitatory neurons) are presented in random
//! order every U(100, 300) ms, 40 pA for one step; presentations of S1 (the
//! conditioned stimulus, stimulus 0) are rewarded with dopamine after a
//! U(0, 1000) ms delay.

use snn::prelude::*;
use snn::snn_core::rng::RngStream;

/// Noise U(-noise, noise) every step plus a one-step stimulus: the host sets
/// `stim` for some neurons, it is injected in the next step and cleared.
#[current_source_model]
pub struct NoiseAndStimulus {
    /// Half-width of the uniform noise current.
    #[param(non_negative)]
    pub noise: Scalar,
    /// Stimulus current for the next step (cleared after it).
    #[var]
    stim: Scalar,
}

#[current_source_model]
impl NoiseAndStimulus {
    fn inject(&mut self, env: &mut CurrentSourceEnv) {
        let noise = (2.0 * env.rand_uniform() - 1.0) * self.noise;
        env.inject_current(noise + self.stim);
        self.stim = 0.0;
    }
}

/// The experiment's parameters (defaults: the paper's / the issue's).
#[derive(Clone, Debug)]
pub struct Params {
    pub n_exc: u32,
    pub n_inh: u32,
    pub p_connect: f64,
    pub w_exc_init: f64,
    pub w_inh: f64,
    pub noise: f64,
    pub n_stimuli: u32,
    pub stimulus_size: u32,
    pub stimulus_current: f64,
    /// Interval between presentations, U(min, max) ms.
    pub interval_ms: (f64, f64),
    /// Reward delay after S1, U(0, max) ms.
    pub reward_delay_max_ms: f64,
    pub stdp: DopamineStdp,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            n_exc: 800,
            n_inh: 200,
            p_connect: 0.1,
            w_exc_init: 1.0,
            w_inh: -1.0,
            noise: 6.5,
            n_stimuli: 100,
            stimulus_size: 50,
            stimulus_current: 40.0,
            interval_ms: (100.0, 300.0),
            reward_delay_max_ms: 1000.0,
            stdp: DopamineStdp {
                tau_plus: 20.0,
                tau_minus: 20.0,
                tau_c: 1000.0,
                tau_d: 200.0,
                a_plus: 0.1,
                a_minus: 0.15,
                // Izhikevich's code adds 0.5 to the dopamine level per reward
                // and applies (0.002 + DA) * c to the weights every 10 ms:
                // per ms of our exact integration, a tenth (the tonic 0.002
                // is left out).
                d_amount: 0.05,
                w_min: 0.0,
                w_max: 4.0,
            },
        }
    }
}

/// Time step (ms).
pub const DT: f64 = 1.0;
/// The plastic synapse groups (excitatory to excitatory and to inhibitory).
pub const PLASTIC: [&str; 2] = ["EE", "EI"];
/// Stream of the protocol's random draws (outside the network's streams).
const PROTOCOL_STREAM: u32 = 0x00ff_ff00;

/// The network and what the protocol needs of it.
pub struct Experiment {
    pub net: Network,
    pub exc: PopulationId,
    pub inh: PopulationId,
    /// The neurons (excitatory ids) of each stimulus; S1 is `stimuli[0]`.
    pub stimuli: Vec<Vec<u32>>,
}

/// Builds the network; `record` turns on spike recording of both populations.
pub fn build(p: &Params, seed: u64, record: bool) -> Result<Experiment> {
    let mut net = Network::new(DT)?;
    net.set_seed(seed);
    let rs = Izhikevich {
        a: 0.02,
        b: 0.2,
        c: -65.0,
        d: 8.0,
    };
    let fs = Izhikevich {
        a: 0.1,
        b: 0.2,
        c: -65.0,
        d: 2.0,
    };
    let exc = net
        .add_population("E", p.n_exc, rs)
        .init("v", -65.0)
        .init("u", -13.0)
        .record_spikes(record)
        .build()?;
    let inh = net
        .add_population("I", p.n_inh, fs)
        .init("v", -65.0)
        .init("u", -13.0)
        .record_spikes(record)
        .build()?;
    let conn = Connectivity::FixedProbability {
        p: p.p_connect,
        autapses: false,
    };
    for (name, post) in [("EE", exc), ("EI", inh)] {
        net.add_synapse_group(name, exc, post, p.stdp.clone(), DeltaCurr {})
            .connectivity(conn.clone())
            .wu_init("g", p.w_exc_init)
            .wu_init("c", 0.0)
            .wu_init("t_last", 0.0)
            .wu_egp("inject_dopamine", vec![0.0])
            .build()?;
    }
    for (name, post) in [("IE", exc), ("II", inh)] {
        net.add_synapse_group(name, inh, post, StaticPulse, DeltaCurr {})
            .connectivity(conn.clone())
            .wu_init("g", p.w_inh)
            .build()?;
    }
    for (name, pop) in [("NoiseE", exc), ("NoiseI", inh)] {
        net.add_current_source(name, pop, NoiseAndStimulus { noise: p.noise })
            .init("stim", 0.0)
            .build()?;
    }
    let mut rng = RngStream::new(seed, PROTOCOL_STREAM, 0, 0);
    let stimuli = (0..p.n_stimuli)
        .map(|_| {
            let mut ids: Vec<u32> = (0..p.stimulus_size)
                .map(|_| (rng.uniform::<f64>() * p.n_exc as f64) as u32)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        })
        .collect();
    Ok(Experiment {
        net,
        exc,
        inh,
        stimuli,
    })
}

/// One stimulus presentation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Presentation {
    /// The step whose neuron update receives the stimulus current.
    pub step: u64,
    pub stimulus: u32,
}

/// The stimulus and reward schedule, drawn as the run goes.
pub struct Protocol {
    rng: RngStream,
    next_presentation: u64,
    pending_reward: Option<u64>,
    /// Presentations so far.
    pub presentations: Vec<Presentation>,
    /// Steps at which dopamine was delivered.
    pub rewards: Vec<u64>,
}

impl Protocol {
    /// A new schedule starting at step `start` (its own random stream of
    /// the network seed).
    pub fn new(seed: u64, p: &Params, start: u64) -> Protocol {
        let mut rng = RngStream::new(seed, PROTOCOL_STREAM, 1, 0);
        let first = start + interval_steps(&mut rng, p);
        Protocol {
            rng,
            next_presentation: first,
            pending_reward: None,
            presentations: Vec::new(),
            rewards: Vec::new(),
        }
    }

    /// Runs the experiment from the simulation's current step to `end_step`,
    /// presenting stimuli and delivering dopamine on schedule; `on_progress`
    /// gets the current step after every stretch of steps.
    pub fn run(
        &mut self,
        sim: &mut dyn Simulation,
        exp: &Experiment,
        p: &Params,
        end_step: u64,
        mut on_progress: impl FnMut(u64),
    ) -> Result<()> {
        let n_exc = p.n_exc as usize;
        let mut stim = vec![0.0; n_exc];
        if sim.step_count() > self.next_presentation {
            return Err(Error::Simulation(format!(
                "the protocol was scheduled from step {} but the simulation is at step {}",
                self.presentations.last().map_or(0, |p| p.step),
                sim.step_count()
            )));
        }
        while sim.step_count() < end_step {
            let now = sim.step_count();
            if now == self.next_presentation {
                let k = (self.rng.uniform::<f64>() * p.n_stimuli as f64) as u32;
                present(sim, exp, p, k, &mut stim)?;
                self.presentations.push(Presentation {
                    step: now,
                    stimulus: k,
                });
                if k == 0 && self.pending_reward.is_none() {
                    let delay = self.rng.uniform::<f64>() * p.reward_delay_max_ms;
                    self.pending_reward = Some(now + 1 + (delay / DT) as u64);
                }
                self.next_presentation = now + interval_steps(&mut self.rng, p);
            }
            let deliver = self.pending_reward == Some(now);
            if deliver {
                for g in PLASTIC {
                    sim.set_egp(EgpOwner::group(g), "inject_dopamine", &[1.0])?;
                }
                sim.step()?;
                for g in PLASTIC {
                    sim.set_egp(EgpOwner::group(g), "inject_dopamine", &[0.0])?;
                }
                self.rewards.push(now);
                self.pending_reward = None;
                continue;
            }
            // Run up to the next scheduled event in one go.
            let mut next = self.next_presentation.min(end_step);
            if let Some(r) = self.pending_reward {
                next = next.min(r);
            }
            sim.run_steps(next - now)?;
            on_progress(sim.step_count());
        }
        Ok(())
    }
}

/// Presents each of `stimuli` `repeats` times, in turn, every `interval`
/// steps, without reward, and returns the presentations (for
/// [`responses`]). Used before and after training to measure the
/// network's response to S1 against other stimuli with the same number of
/// presentations of each; the spikes must be recorded meanwhile.
pub fn probe(
    sim: &mut dyn Simulation,
    exp: &Experiment,
    p: &Params,
    stimuli: &[u32],
    repeats: u32,
    interval: u64,
) -> Result<Vec<Presentation>> {
    let mut stim = vec![0.0; p.n_exc as usize];
    let mut out = Vec::new();
    for _ in 0..repeats {
        for &k in stimuli {
            present(sim, exp, p, k, &mut stim)?;
            out.push(Presentation {
                step: sim.step_count(),
                stimulus: k,
            });
            sim.run_steps(interval)?;
        }
    }
    Ok(out)
}

/// Sets the stimulus current of stimulus `k`'s neurons for the next step
/// (`stim` is all zeros before and after).
fn present(
    sim: &mut dyn Simulation,
    exp: &Experiment,
    p: &Params,
    k: u32,
    stim: &mut [f64],
) -> Result<()> {
    let neurons = &exp.stimuli[k as usize];
    for &i in neurons {
        stim[i as usize] = p.stimulus_current;
    }
    let result = sim.set_current_source_var_values("NoiseE", "stim", stim);
    for &i in neurons {
        stim[i as usize] = 0.0;
    }
    result
}

fn interval_steps(rng: &mut RngStream, p: &Params) -> u64 {
    let (lo, hi) = p.interval_ms;
    ((lo + rng.uniform::<f64>() * (hi - lo)) / DT).round() as u64
}

/// Responses to presentations: the number of spikes of the whole network in
/// the `window` steps after each presentation (from the step after the
/// stimulus current), for presentations whose window lies in `[from, to)`.
pub fn responses(
    presentations: &[Presentation],
    spike_steps: &[u64],
    window: u64,
    from: u64,
    to: u64,
) -> Vec<(u32, usize)> {
    presentations
        .iter()
        .filter(|pr| pr.step >= from && pr.step + window < to)
        .map(|pr| {
            let lo = spike_steps.partition_point(|&s| s <= pr.step);
            let hi = spike_steps.partition_point(|&s| s <= pr.step + window);
            (pr.stimulus, hi - lo)
        })
        .collect()
}

/// Mean response to S1 and mean response to the other stimuli.
pub fn mean_responses(responses: &[(u32, usize)]) -> (Option<f64>, Option<f64>) {
    let mean = |f: &dyn Fn(u32) -> bool| {
        let v: Vec<f64> = responses
            .iter()
            .filter(|(k, _)| f(*k))
            .map(|&(_, n)| n as f64)
            .collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    (mean(&|k| k == 0), mean(&|k| k != 0))
}

/// Mean weight of the excitatory synapses from S1 neurons and from the others.
pub fn mean_weights(sim: &dyn Simulation, exp: &Experiment) -> Result<(f64, f64)> {
    let s1 = &exp.stimuli[0];
    let (mut sum_s1, mut n_s1, mut sum_rest, mut n_rest) = (0.0, 0usize, 0.0, 0usize);
    for g in PLASTIC {
        let conn = sim.connectivity(g)?;
        let w = sim.synapse_var_values(g, "g")?;
        for (pre, row) in conn.row_ptr.windows(2).enumerate() {
            let slice = &w[row[0] as usize..row[1] as usize];
            if s1.binary_search(&(pre as u32)).is_ok() {
                sum_s1 += slice.iter().sum::<f64>();
                n_s1 += slice.len();
            } else {
                sum_rest += slice.iter().sum::<f64>();
                n_rest += slice.len();
            }
        }
    }
    Ok((sum_s1 / n_s1.max(1) as f64, sum_rest / n_rest.max(1) as f64))
}

/// Steps of all spikes of a record (both populations merged, sorted).
pub fn spike_steps(records: &[&SpikeRecord]) -> Vec<u64> {
    let mut steps: Vec<u64> = records
        .iter()
        .flat_map(|r| r.times.iter().map(|t| (t / DT).round() as u64))
        .collect();
    steps.sort_unstable();
    steps
}
