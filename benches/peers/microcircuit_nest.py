"""The Potjans & Diesmann (2014) cortical microcircuit in NEST, written for
this harness from the parameters of this project's
snn/examples/microcircuit/microcircuit.toml (the published values, those of
NEST's reference implementation `pynest/examples/Potjans_2014`), following
that implementation's construction: iaf_psc_exp neurons with optimised
initial potentials, `fixed_total_number` connectivity (multapses and autapses
allowed), weights and delays from normal distributions redrawn outside
[0, inf) (sign kept) and [dt, inf), Poisson background through one
`poisson_generator` per population (rate K_ext bg_rate), and, when the
in-degrees are scaled (K_scaling != 1), weights divided by sqrt(K_scaling)
with the lost mean input given as DC (NEST's
`adjust_weights_and_input_to_synapse_scaling`). No thalamic input.

Construction: Create + Connect, plus a first Simulate of one step (NEST
finalises its connection tables there; ours does the same in its
initialisation). Simulation: transient + duration. Prints one line
`PEER_RESULT {json}` with the mean rate of every population.
"""
import argparse
import json
import math
import time
import tomllib

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--params", required=True, help="microcircuit.toml")
p.add_argument("--scale", type=float, default=1.0, help="N_scaling")
p.add_argument("--k-scale", type=float, default=1.0, help="K_scaling")
p.add_argument("--duration", type=float, default=1000.0, help="ms")
p.add_argument("--transient", type=float, default=500.0, help="ms")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1234)
a = p.parse_args()

with open(a.params, "rb") as f:
    P = tomllib.load(f)

import nest  # noqa: E402

dt = P["simulation"]["dt"]
try:
    nest.verbosity = nest.VerbosityLevel.WARNING
except AttributeError:
    nest.set_verbosity("M_WARNING")
nest.ResetKernel()
nest.set(resolution=dt, local_num_threads=a.threads, rng_seed=a.seed, print_time=False)

pops_names = P["populations"]
n = len(pops_names)
full = np.array(P["num_neurons"], dtype=float)
C = np.array(P["conn_probs"], dtype=float)  # [target][source]


def num_synapses(c, n_pre, n_post):
    if c <= 0:
        return 0.0
    return math.log(1.0 - c) / math.log(1.0 - 1.0 / (n_pre * n_post))


K_full = np.array([[num_synapses(C[t][s], full[s], full[t]) for s in range(n)] for t in range(n)])
sizes = np.maximum(1, np.round(full * a.scale)).astype(int)
syn = P["synapses"]
nrn = P["neuron"]
bg = P["background"]
w_exc = syn["PSP_exc_mean"] * syn["PSC_over_PSP"]  # pA


def mean_psc(t, s):
    w = w_exc if s % 2 == 0 else syn["g"] * w_exc
    if pops_names[s] == "L4E" and pops_names[t] == "L23E":
        w *= syn["L4E_to_L23E_factor"]
    return w


k_sqrt = math.sqrt(a.k_scale)
tau_syn = nrn["tau_syn"]
rates_expected = P["expected"]["mean_rates"]
dc = np.zeros(n)
for t in range(n):
    rec = sum(mean_psc(t, s) * K_full[t][s] / full[t] * rates_expected[s] for s in range(n))
    ext = bg["weight"] * bg["K_ext"][t] * bg["bg_rate"]
    dc[t] = 0.001 * tau_syn * (1.0 - k_sqrt) * (rec + ext)

t0 = time.time()
pops = []
for i in range(n):
    pop = nest.Create("iaf_psc_exp", int(sizes[i]), params={
        "C_m": nrn["C_m"], "tau_m": nrn["tau_m"], "tau_syn_ex": tau_syn, "tau_syn_in": tau_syn,
        "E_L": nrn["E_L"], "V_th": nrn["V_th"], "V_reset": nrn["V_reset"],
        "t_ref": nrn["t_ref"], "I_e": float(dc[i])})
    pop.set(V_m=nest.random.normal(nrn["V0_mean"][i], nrn["V0_std"][i]))
    pops.append(pop)
recorders = nest.Create("spike_recorder", n)
bg_gen = nest.Create("poisson_generator", n)
bg_gen.rate = [float(bg["bg_rate"] * round(bg["K_ext"][i] * a.k_scale)) for i in range(n)]

# One synapse model per source population: NEST holds at most 2^27 - 2
# connections per virtual process and synapse model, fewer than the full
# model's ~0.3e9 synapses on 2 threads.
for s in range(n):
    nest.CopyModel("static_synapse", f"static_from_{s}")
for t in range(n):
    for s in range(n):
        k = int(round(K_full[t][s] * a.scale * a.k_scale))
        if k == 0:
            continue
        w = mean_psc(t, s) / k_sqrt
        lo, hi = (0.0, math.inf) if w >= 0 else (-math.inf, 0.0)
        d = syn["delay_exc_mean"] if s % 2 == 0 else syn["delay_inh_mean"]
        nest.Connect(pops[s], pops[t], {"rule": "fixed_total_number", "N": k}, {
            "synapse_model": f"static_from_{s}",
            "weight": nest.math.redraw(
                nest.random.normal(mean=w, std=abs(w) * syn["weight_rel_std"]), min=lo, max=hi),
            "delay": nest.math.redraw(
                nest.random.normal(mean=d, std=d * syn["delay_rel_std"]), min=dt, max=math.inf),
        })
for i in range(n):
    nest.Connect(bg_gen[i], pops[i], "all_to_all", {
        "synapse_model": "static_synapse", "weight": bg["weight"] / k_sqrt, "delay": dt})
    nest.Connect(pops[i], recorders[i])
t_connect = time.time() - t0
t1 = time.time()
nest.Simulate(dt)
t_prepare = time.time() - t1

total = a.transient + a.duration
t2 = time.time()
nest.Simulate(total)
t_sim = time.time() - t2

rates = {}
start = dt + a.transient
for i in range(n):
    times = np.asarray(recorders[i].get("events")["times"])
    count = int(np.count_nonzero((times >= start) & (times < start + a.duration)))
    rates[pops_names[i]] = count / sizes[i] / (a.duration / 1000.0)

print("PEER_RESULT " + json.dumps({
    "construct_s": t_connect + t_prepare,
    "connect_s": t_connect,
    "prepare_s": t_prepare,
    "sim_s": t_sim,
    "bio_s": total / 1000.0,
    "synapses": nest.num_connections,
    "rates": rates,
}), flush=True)
