"""Brian2's COBAHH benchmark (Brette et al. 2007, benchmark 3) in
cpp_standalone mode, matched to this project's `cobahh` example
(snn/examples/cobahh/model.rs, snn-core/src/builtin/hh.rs: TraubMiles::COBAHH).

The network and equations are those of Brian2's `COBAHH` example (and of the
Brian2CUDA / Brian2GeNN benchmarks): Hodgkin-Huxley neurons for a membrane
area of 20,000 um^2, 80 % excitatory, connection probability p = K / N for
every (pre, post) pair, exponential conductances, dt = 0.1 ms, exponential
Euler. One change from Brian's example, to match ours: the conductances ge
and gi start at 0 (ours cannot initialise them; Brian draws them from
normal distributions, which only affects the first ~20 ms).

Prints one line `PEER_RESULT {json}` with the construction time (binary run
minus simulation loop: process start, synapse creation, initialisation,
writing results), the simulation loop time (Brian's own measurement), the
compile time (excluded from everything), the peak RSS of the binary and the
mean rates of E and I.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--neurons", type=int, default=4000)
p.add_argument("--synapses-per-neuron", type=float, default=80.0)
p.add_argument("--duration", type=float, default=1000.0, help="ms")
p.add_argument("--threads", type=int, default=2)
p.add_argument("--seed", type=int, default=1234)
p.add_argument("--workdir", required=True)
a = p.parse_args()

from brian2 import (  # noqa: E402
    NeuronGroup, Synapses, SpikeMonitor, Equations, set_device, device, prefs,
    defaultclock, seed, run, ms, mV, nS, umetre, ufarad, cm, siemens, msiemens,
)

set_device("cpp_standalone", build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = a.threads
os.makedirs(a.workdir, exist_ok=True)
memfile = os.path.join(a.workdir, "binary_rusage.txt")
# Run the binary under /usr/bin/time for its peak RSS.
prefs.devices.cpp_standalone.run_cmd_unix = ["/usr/bin/time", "-f", "%M", "-o", memfile, "./main"]
seed(a.seed)
defaultclock.dt = 0.1 * ms

area = 20000 * umetre ** 2
Cm = (1 * ufarad * cm ** -2) * area
gl = (5e-5 * siemens * cm ** -2) * area
El = -60 * mV
EK = -90 * mV
ENa = 50 * mV
g_na = (100 * msiemens * cm ** -2) * area
g_kd = (30 * msiemens * cm ** -2) * area
VT = -63 * mV
taue = 5 * ms
taui = 10 * ms
Ee = 0 * mV
Ei = -80 * mV
we = 6 * nS
wi = 67 * nS

eqs = Equations("""
dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-
         g_na*(m*m*m)*h*(v-ENa)-
         g_kd*(n*n*n*n)*(v-EK))/Cm : volt
dm/dt = alpha_m*(1-m)-beta_m*m : 1
dn/dt = alpha_n*(1-n)-beta_n*n : 1
dh/dt = alpha_h*(1-h)-beta_h*h : 1
dge/dt = -ge*(1./taue) : siemens
dgi/dt = -gi*(1./taui) : siemens
alpha_m = 0.32*(mV**-1)*4*mV/exprel((13*mV-v+VT)/(4*mV))/ms : Hz
beta_m = 0.28*(mV**-1)*5*mV/exprel((v-VT-40*mV)/(5*mV))/ms : Hz
alpha_h = 0.128*exp((17*mV-v+VT)/(18*mV))/ms : Hz
beta_h = 4./(1+exp((40*mV-v+VT)/(5*mV)))/ms : Hz
alpha_n = 0.032*(mV**-1)*5*mV/exprel((15*mV-v+VT)/(5*mV))/ms : Hz
beta_n = .5*exp((10*mV-v+VT)/(40*mV))/ms : Hz
""")

N = a.neurons
n_exc = max(1, int(round(0.8 * N)))
prob = a.synapses_per_neuron / N
P = NeuronGroup(N, model=eqs, threshold="v>-20*mV", refractory=3 * ms,
                method="exponential_euler")
Pe = P[:n_exc]
Pi = P[n_exc:]
Ce = Synapses(Pe, P, on_pre="ge+=we")
Ci = Synapses(Pi, P, on_pre="gi+=wi")
Ce.connect(p=prob)
Ci.connect(p=prob)
P.v = "El + (randn() * 5 - 5)*mV"
P.ge = 0 * nS  # ours: conductances start at 0 (Brian's example draws them)
P.gi = 0 * nS
mon = SpikeMonitor(P, record=True)

run(a.duration * ms)
t0 = time.time()
device.build(directory=os.path.join(a.workdir, "brian2_cobahh"), compile=True, run=False,
             with_output=False, clean=True)
t_compile = time.time() - t0
device.run(with_output=False)
run_binary = device.timers["run_binary"]
loop = device._last_run_time
counts = np.bincount(np.asarray(mon.i[:]), minlength=N)
bio = a.duration / 1000.0
rate_e = counts[:n_exc].sum() / n_exc / bio
rate_i = counts[n_exc:].sum() / max(1, N - n_exc) / bio
try:
    with open(memfile) as f:
        peak_kb = int(f.read().split()[-1])
except (OSError, ValueError, IndexError):
    peak_kb = None
print("PEER_RESULT " + json.dumps({
    "construct_s": run_binary - loop,
    "sim_s": loop,
    "bio_s": bio,
    "compile_s": t_compile,
    "peak_rss_kb": peak_kb,
    "rates": {"E": rate_e, "I": rate_i},
}), flush=True)
