"""NEST's `aeif_cond_exp` (GSL's adaptive RKF45, NEST's default) in the
balanced AdEx network of this project's `balanced_adex` example
(snn/examples/balanced_adex/model.rs), parameter for parameter:

- N neurons, 80 % excitatory; NEST's aeif_cond_exp defaults (C_m 281 pF,
  g_L 30 nS, E_L -70.6 mV, V_th -50.4 mV, Delta_T 2 mV, a 4 nS, tau_w 144 ms,
  b 80.5 pA, V_reset -60 mV, V_peak 0 mV, t_ref 0 ms), E_ex 0 mV,
  E_in -85 mV, tau_syn_ex = tau_syn_in = 1 ms; V_m = E_L, w = 0 at start;
- fixed in-degree: 0.8 K excitatory and 0.2 K inhibitory sources per neuron
  (multapses allowed, no autapses), weights 0.05 e nS (exc) and 0.35 e nS
  (inh), delays normal(0.5, 0.25) ms redrawn outside [0.1, 1.25] ms;
- an independent 20 kHz Poisson train per neuron, weight 0.37 e nS;
- dt = 0.1 ms.

Construction: Create + Connect, plus a first Simulate of one step (NEST
finalises its connection tables there; ours does the same in its
initialisation). Simulation: transient + duration. Prints one line
`PEER_RESULT {json}`.
"""
import argparse
import json
import math
import time

p = argparse.ArgumentParser()
p.add_argument("--neurons", type=int, default=10000)
p.add_argument("--in-degree", type=int, default=1000)
p.add_argument("--duration", type=float, default=1000.0, help="ms")
p.add_argument("--transient", type=float, default=200.0, help="ms")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1234)
a = p.parse_args()

import nest  # noqa: E402

DT = 0.1
E = math.e
try:
    nest.verbosity = nest.VerbosityLevel.WARNING
except AttributeError:
    nest.set_verbosity("M_WARNING")
nest.ResetKernel()
nest.set(resolution=DT, local_num_threads=a.threads, rng_seed=a.seed, print_time=False)

t0 = time.time()
n_exc = max(1, round(a.neurons * 0.8))
n_inh = max(1, a.neurons - n_exc)
k_exc = max(1, round(a.in_degree * 0.8))
k_inh = max(1, a.in_degree - k_exc)
params = {"E_ex": 0.0, "E_in": -85.0, "tau_syn_ex": 1.0, "tau_syn_in": 1.0,
          "V_m": -70.6, "w": 0.0}
exc = nest.Create("aeif_cond_exp", n_exc, params=params)
inh = nest.Create("aeif_cond_exp", n_inh, params=params)
noise = nest.Create("poisson_generator", params={"rate": 20000.0})
rec_e = nest.Create("spike_recorder")
rec_i = nest.Create("spike_recorder")

delay = nest.math.redraw(nest.random.normal(mean=0.5, std=0.25), min=0.1, max=0.5 + 3 * 0.25)
for src, k, w in [(exc, k_exc, 0.05 * E), (inh, k_inh, -0.35 * E)]:
    for dst in [exc, inh]:
        nest.Connect(src, dst,
                     {"rule": "fixed_indegree", "indegree": k,
                      "allow_autapses": False, "allow_multapses": True},
                     {"synapse_model": "static_synapse", "weight": w, "delay": delay})
for pop in [exc, inh]:
    nest.Connect(noise, pop, "all_to_all",
                 {"synapse_model": "static_synapse", "weight": 0.37 * E, "delay": DT})
nest.Connect(exc, rec_e)
nest.Connect(inh, rec_i)
t_connect = time.time() - t0
t1 = time.time()
nest.Simulate(DT)
t_prepare = time.time() - t1

total = a.transient + a.duration
t2 = time.time()
nest.Simulate(total)
t_sim = time.time() - t2


def rate(rec, n):
    times = rec.get("events")["times"]
    start = DT + a.transient
    count = sum(1 for t in times if start <= t < start + a.duration + 1e-9)
    return count / n / (a.duration / 1000.0)


print("PEER_RESULT " + json.dumps({
    "construct_s": t_connect + t_prepare,
    "connect_s": t_connect,
    "prepare_s": t_prepare,
    "sim_s": t_sim,
    "bio_s": total / 1000.0,
    "synapses": nest.num_connections,
    "rates": {"E": rate(rec_e, n_exc), "I": rate(rec_i, n_inh)},
}), flush=True)
