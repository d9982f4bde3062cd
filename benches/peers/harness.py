"""Side-by-side comparison of this simulator with NEST 3.10 and Brian2 2.9.

Run through `benches/peers/run`, which installs the peers and builds the
examples first; see benches/peers/README.md. Runs every selected benchmark
peer first, then ours, one after the other, each with the same number of
threads, and prints one markdown table of times (and one of mean rates, to
check that both simulate the same dynamics), also written to --out.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name -> default settings (full run, and --quick)
DEFAULTS = {
    # COBAHH: 80 synapses per neuron, no transient (as Brian's example).
    "cobahh": {"full": {"sizes": [4000, 40000], "duration": 300.0},
               "quick": {"sizes": [1000, 4000], "duration": 50.0}},
    # Balanced AdEx: 10,000 x 1,000, transient excluded from the rates only.
    "adex": {"full": {"neurons": 10000, "in_degree": 1000, "transient": 100.0, "duration": 200.0},
             "quick": {"neurons": 2000, "in_degree": 1000, "transient": 20.0, "duration": 30.0}},
    # PD14 at full scale (--quick: 5 % of the neurons, half the in-degrees).
    "microcircuit": {"full": {"scale": 1.0, "k_scale": 1.0, "transient": 100.0, "duration": 1000.0},
                     "quick": {"scale": 0.05, "k_scale": 0.5, "transient": 100.0, "duration": 100.0}},
}
ALIASES = {"cobahh": "cobahh", "adex": "adex", "balanced_adex": "adex",
           "balanced-adex": "adex", "microcircuit": "microcircuit", "pd14": "microcircuit"}


class RunError(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def timed_process(cmd, logfile, env=None, cwd=None):
    """Runs cmd under /usr/bin/time (peak RSS), stdout+stderr to logfile;
    returns (output text, peak RSS in kB or None, wall seconds)."""
    rss_file = logfile + ".rss"
    full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    t0 = time.time()
    with open(logfile, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        rc = subprocess.call(full, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    wall = time.time() - t0
    with open(logfile) as f:
        text = f.read()
    if rc != 0:
        tail = "\n".join(text.splitlines()[-25:])
        raise RunError(f"`{' '.join(cmd)}` exited with status {rc}; the end of its output "
                       f"({logfile}):\n{tail}")
    try:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
    except (OSError, ValueError, IndexError):
        rss = None
    return text, rss, wall


def peer_result(text, logfile):
    for line in text.splitlines():
        if line.startswith("PEER_RESULT "):
            return json.loads(line[len("PEER_RESULT "):])
    raise RunError(f"the peer script printed no PEER_RESULT line (see {logfile})")


def number(pattern, text, what, logfile):
    m = re.search(pattern, text, re.M)
    if not m:
        raise RunError(f"could not find {what} in our example's output (see {logfile})")
    return float(m.group(1))


def ours_result(text, logfile, rate_col):
    """Times and rates from an example's report (snn/examples/common/report.rs)."""
    construct = number(r"^\s*network construction\s+([\d.]+) s", text, "the construction time", logfile)
    init = number(r"^\s*initialisation\s+([\d.]+) s", text, "the initialisation time", logfile)
    m = re.search(r"^\s*kernel build\s+([\d.]+) s", text, re.M)
    kernel = float(m.group(1)) if m else 0.0
    sim = number(r"^\s*simulation\s+([\d.]+) s", text, "the simulation time", logfile)
    bio = number(r"^\s*simulation\s+[\d.]+ s\s+([\d.]+) s biological", text, "the biological time", logfile)
    rates = {}
    lines = text.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("pop "):
            for row in lines[k + 1:]:
                tok = row.split()
                if len(tok) <= rate_col:
                    break
                rates[tok[0]] = float(tok[rate_col])
            break
    if not rates:
        raise RunError(f"could not find the rate table in our example's output (see {logfile})")
    return {"construct_s": construct + init + kernel, "sim_s": sim, "bio_s": bio, "rates": rates}


def ratio(peer, ours, faster="faster", slower="slower"):
    """'16x faster' when ours takes 16 times less than the peer."""
    if peer is None or ours is None or peer <= 0 or ours <= 0:
        return "n/a"
    r = peer / ours
    if r >= 1:
        return f"{r:.3g}x {faster}" if r >= 1.005 else "same"
    return f"{1 / r:.3g}x {slower}"


def fmt_s(x):
    return "n/a" if x is None else (f"{x:.3g} s" if x < 1000 else f"{x:.0f} s")


def fmt_gb(kb):
    return "n/a" if kb is None else f"{kb / 1e6:.2f} GB"


class Harness:
    def __init__(self, a):
        self.a = a
        self.rows = []       # (benchmark, peer, peer time, ours, ratio)
        self.rate_rows = []  # (benchmark, population, peer rate, ours rate)
        self.failures = []
        os.makedirs(a.workdir, exist_ok=True)
        self.env = dict(os.environ, RAYON_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))

    def example(self, name):
        return os.path.join(self.a.bin_dir, name)

    def peer(self, script, args, tag):
        logfile = os.path.join(self.a.workdir, tag + ".peer.log")
        log(f"  peer:  {script} {' '.join(args)}")
        text, rss, _ = timed_process([sys.executable, os.path.join(HERE, script)] + args, logfile,
                                     env=self.env, cwd=self.a.workdir)
        r = peer_result(text, logfile)
        r.setdefault("peak_rss_kb", rss)
        if r.get("peak_rss_kb") is None:
            r["peak_rss_kb"] = rss
        log(f"         construction {fmt_s(r['construct_s'])}, simulation {fmt_s(r['sim_s'])} "
            f"for {r['bio_s']:g} s biological, peak RSS {fmt_gb(r['peak_rss_kb'])}")
        return r

    def ours(self, example, args, tag, rate_col):
        logfile = os.path.join(self.a.workdir, tag + ".ours.log")
        cmd = [self.example(example), "--backend", "cpu", "--out",
               os.path.join(self.a.workdir, tag + ".out")] + args
        log(f"  ours:  {example} {' '.join(args)}")
        text, rss, _ = timed_process(cmd, logfile, env=self.env, cwd=self.a.workdir)
        r = ours_result(text, logfile, rate_col)
        r["peak_rss_kb"] = rss
        log(f"         construction {fmt_s(r['construct_s'])}, simulation {fmt_s(r['sim_s'])} "
            f"for {r['bio_s']:g} s biological, peak RSS {fmt_gb(r['peak_rss_kb'])}")
        return r

    def add_times(self, bench, peer_name, p, ours_name, o, memory=False):
        ps = p["sim_s"] / p["bio_s"]
        os_ = o["sim_s"] / o["bio_s"]
        self.rows.append((f"{bench}: simulation, per biological second", peer_name, fmt_s(ps),
                          f"{fmt_s(os_)} ({ours_name})", ratio(ps, os_)))
        self.rows.append((f"{bench}: construction", peer_name, fmt_s(p["construct_s"]),
                          f"{fmt_s(o['construct_s'])} ({ours_name})", ratio(p["construct_s"], o["construct_s"])))
        if memory:
            self.rows.append((f"{bench}: peak memory (max RSS)", peer_name, fmt_gb(p.get("peak_rss_kb")),
                              f"{fmt_gb(o.get('peak_rss_kb'))} ({ours_name})",
                              ratio(p.get("peak_rss_kb"), o.get("peak_rss_kb"), "less", "more")))

    def add_rates(self, bench, p, o, ours_name=None):
        for pop, rp in p["rates"].items():
            ro = o["rates"].get(pop)
            label = bench if ours_name is None else f"{bench} ({ours_name})"
            self.rate_rows.append((label, pop, f"{rp:.3f}", "n/a" if ro is None else f"{ro:.3f}",
                                   "n/a" if ro is None or rp <= 0 else f"{ro / rp:.2f}"))

    def guard(self, bench, fn):
        try:
            fn()
        except RunError as e:
            log(f"FAILED: {bench}: {e}")
            self.failures.append(bench)
            self.rows.append((bench, "failed", "", "", "see log"))

    # --- benchmarks -------------------------------------------------------

    def cobahh(self):
        s = self.settings("cobahh")
        for n in s["sizes"]:
            bench = f"COBAHH {n:,} neurons, 80 syn/neuron"
            log(f"\n== {bench}, {s['duration']:g} ms")

            def one(n=n, bench=bench):
                tag = f"cobahh_{n}"
                p = self.peer("cobahh_brian2.py",
                              ["--neurons", str(n), "--synapses-per-neuron", "80",
                               "--duration", str(s["duration"]), "--threads", str(self.a.threads),
                               "--workdir", os.path.join(self.a.workdir, tag + ".brian2")], tag)
                log(f"         (Brian2 compilation {p['compile_s']:.1f} s, excluded)")
                peer_name = "Brian2 2.9 cpp_standalone, exp. Euler"
                common = ["--neurons", str(n), "--synapses-per-neuron", "80",
                          "--duration", str(s["duration"]), "--transient", "0"]
                for integ, label in [("exp-euler", "exp. Euler"), ("rk4", "RK4")]:
                    o = self.ours("cobahh", common + ["--integrator", integ], f"{tag}_{integ}", 3)
                    self.add_times(f"{bench}", peer_name, p, label, o)
                    self.add_rates(f"COBAHH {n:,}", p, o, label)
            self.guard(bench, one)

    def adex(self):
        s = self.settings("adex")
        bench = f"Balanced AdEx {s['neurons']:,} x {s['in_degree']:,}"
        log(f"\n== {bench}, {s['transient']:g} + {s['duration']:g} ms")

        def one():
            tag = "adex"
            common = ["--neurons", str(s["neurons"]), "--in-degree", str(s["in_degree"]),
                      "--duration", str(s["duration"]), "--transient", str(s["transient"])]
            p = self.peer("balanced_adex_nest.py", common + ["--threads", str(self.a.threads)], tag)
            o = self.ours("balanced_adex", common + ["--solver", "rk45"], tag, 2)
            self.add_times(bench, "NEST 3.10 aeif_cond_exp (GSL RKF45)", p, "RK45", o)
            self.add_rates(bench, p, o)
        self.guard(bench, one)

    def microcircuit(self):
        s = self.settings("microcircuit")
        scale = "full scale" if s["scale"] == 1 and s["k_scale"] == 1 else \
            f"scale {s['scale']:g}, in-degrees {s['k_scale']:g}"
        bench = f"Microcircuit (PD14), {scale}"
        log(f"\n== {bench}, {s['transient']:g} + {s['duration']:g} ms")
        # NEST measured 1.56 GB at scale 0.1 (30e6 synapses): ~45 bytes per synapse.
        need = 0.3 + 13.5 * s["scale"] * s["k_scale"]
        avail = mem_available_gb()
        if avail is not None and avail < need:
            log(f"warning: NEST needs about {need:.0f} GB for this microcircuit and only "
                f"{avail:.1f} GB are available: it may be killed or swap")

        def one():
            tag = "microcircuit"
            common = ["--duration", str(s["duration"]), "--transient", str(s["transient"])]
            scales = ["--scale", str(s["scale"]), "--k-scale", str(s["k_scale"])]
            p = self.peer("microcircuit_nest.py",
                          common + scales + ["--threads", str(self.a.threads), "--params",
                                             os.path.join(self.a.root, "snn", "examples", "microcircuit",
                                                          "microcircuit.toml")], tag)
            o = self.ours("microcircuit", common + scales, tag, 3)
            self.add_times(bench, "NEST 3.10 iaf_psc_exp", p, "ours", o, memory=True)
            self.add_rates(bench, p, o)
        self.guard(bench, one)

    def settings(self, name):
        s = dict(DEFAULTS[name]["quick" if self.a.quick else "full"])
        if name in self.a.durations:
            s["duration"] = self.a.durations[name]
        return s

    # --- report -----------------------------------------------------------

    def report(self, selected, started):
        a = self.a
        cpu = platform.processor() or "unknown CPU"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        try:
            commit = subprocess.check_output(["git", "-C", a.root, "rev-parse", "--short", "HEAD"],
                                             text=True, stderr=subprocess.DEVNULL).strip()
            dirty = subprocess.check_output(["git", "-C", a.root, "status", "--porcelain", "--untracked-files=no"],
                                            text=True, stderr=subprocess.DEVNULL).strip()
            commit += " (uncommitted changes)" if dirty else ""
        except (OSError, subprocess.CalledProcessError):
            commit = "unknown"
        out = []
        out.append(f"# Peer comparison{' (--quick: tiny sizes, not for reporting)' if a.quick else ''}")
        out.append("")
        out.append(f"- date: {started.strftime('%Y-%m-%d %H:%M %Z').strip()}")
        out.append(f"- machine: {cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}")
        out.append(f"- load average (1 min): {a.load_start} at the start, {load_average()} at the end "
                   f"(on an otherwise idle machine about "
                   f"the number of threads used; more means other processes disturbed the timings, "
                   f"Brian2's OpenMP threads most)")
        out.append(f"- threads: {a.threads} for every simulator (NEST local_num_threads, Brian2 OpenMP, "
                   f"ours RAYON_NUM_THREADS), CPU backend")
        out.append(f"- ours: commit {commit}; peers: {a.versions}")
        out.append(f"- benchmarks: {', '.join(selected)}; wall time of the whole run "
                   f"{(time.time() - a.t0) / 60:.1f} min")
        out.append("- times: simulation = wall time of the simulation loop per second of biological time "
                   "(compilation excluded); construction = building the network up to the first step "
                   "(ours: description + initialisation; NEST: Create + Connect + first step; "
                   "Brian2: binary run minus simulation loop); ratio = peer / ours")
        out.append("")
        out.append("| benchmark | peer | peer time | ours | ratio |")
        out.append("|---|---|---|---|---|")
        for r in self.rows:
            out.append("| " + " | ".join(r) + " |")
        out.append("")
        out.append("Mean rates (spikes/s) after the transient, to check that both simulate the same dynamics:")
        out.append("")
        out.append("| benchmark | population | peer rate | our rate | ours / peer |")
        out.append("|---|---|---|---|---|")
        for r in self.rate_rows:
            out.append("| " + " | ".join(r) + " |")
        if any("RK4" in r[0] for r in self.rate_rows):
            out.append("")
            out.append("COBAHH RK4 rows compare ours with RK4 against Brian2's exponential Euler: at dt = 0.1 ms "
                       "exponential Euler makes the HH neuron fire ~12 % slower than the exact solution "
                       "(snn-core/src/builtin/hh.rs), and the network amplifies it; the exp. Euler rows are the "
                       "like-for-like check. Small COBAHH networks also vary by ~15 % from seed to seed.")
        if self.failures:
            out.append("")
            out.append(f"Failed: {', '.join(self.failures)} (logs in {a.workdir}).")
        text = "\n".join(out) + "\n"
        print("\n" + text, flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            f.write(text)
        log(f"wrote {a.out}; logs of every run in {a.workdir}")


def load_average():
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def mem_available_gb():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return None


def parse_durations(values):
    out = {}
    for v in values or []:
        if "=" in v:
            name, ms = v.split("=", 1)
            if name.strip().lower() not in ALIASES:
                sys.exit(f"--duration-ms: unknown benchmark {name!r} (cobahh, adex, microcircuit)")
            targets = [ALIASES[name.strip().lower()]]
        else:
            ms, targets = v, list(DEFAULTS)
        try:
            ms = float(ms)
        except ValueError:
            sys.exit(f"--duration-ms: {v!r} is not a duration in ms (MS or NAME=MS)")
        if not ms > 0:
            sys.exit(f"--duration-ms: {v!r} must be positive")
        for t in targets:
            out[t] = ms
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="tiny sizes and durations, to check the harness")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="cobahh, adex or microcircuit (repeat or comma-separate; default: all)")
    p.add_argument("--duration-ms", action="append", metavar="[NAME=]MS",
                   help="biological time measured after the transient, for all benchmarks or NAME "
                        "(repeatable); defaults: cobahh 300 (no transient), adex 200 (+100 transient), "
                        "microcircuit 1000 (+100 transient)")
    p.add_argument("--threads", type=int, default=2, help="threads for every simulator (default 2)")
    p.add_argument("--out", default=None,
                   help="where the table goes (default benches/peers/latest.md, with --quick latest-quick.md)")
    p.add_argument("--workdir", default=None, help="logs and build directories")
    p.add_argument("--root", required=True, help=argparse.SUPPRESS)
    p.add_argument("--bin-dir", required=True, help=argparse.SUPPRESS)
    p.add_argument("--validate-only", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    a.t0 = time.time()
    a.load_start = load_average()
    started = datetime.datetime.now().astimezone()
    selected = []
    for v in a.only or ["cobahh,adex,microcircuit"]:
        for name in v.split(","):
            key = ALIASES.get(name.strip().lower())
            if key is None:
                sys.exit(f"--only: unknown benchmark {name!r}: choose cobahh, adex or microcircuit")
            if key not in selected:
                selected.append(key)
    a.durations = parse_durations(a.duration_ms)
    if a.out is None:
        a.out = os.path.join(HERE, "latest-quick.md" if a.quick else "latest.md")
    if a.threads < 1:
        sys.exit("--threads must be at least 1")
    if a.validate_only:
        return
    if a.workdir is None:
        a.workdir = os.path.join(a.root, "target", "peers")
    a.workdir = os.path.abspath(a.workdir)
    import importlib.metadata as md
    a.versions = ", ".join(f"{pkg} {md.version(pkg)}" for pkg in ["nest-simulator", "brian2"])
    h = Harness(a)
    log(f"peer comparison: {', '.join(selected)}{' (quick)' if a.quick else ''}, "
        f"{a.threads} threads; logs in {a.workdir}")
    for name in selected:
        getattr(h, name)()
    h.report(selected, started)
    if h.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
