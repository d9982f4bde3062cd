//! Replaying recorded graphs of steps gives the same simulation as
//! launching every step: spikes, variable samples, plastic weights and
//! checkpoints. CUDA records real graphs (where a GPU is present); on
//! OpenCL (PoCL) a wrapper device records the launches in software and
//! replays them, which checks what graphs rely on: the launches of a step
//! are the same every step (the step and time come from the device clock).

use snn::prelude::*;
use snn_gpu::device::{Arg, Device, DeviceResult, GraphId, LaunchDims};
use snn_gpu::runtime::GpuSimulation;
use snn_kernels::dialect::Dialect;
use snn_opencl_host::{DeviceSelection, OpenClDevice};
use std::cell::RefCell;
use std::rc::Rc;

/// A launch argument kept for a replay.
enum Kept<B> {
    Buffer(Rc<B>),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
}

/// A recorded launch.
struct Recorded<B> {
    name: String,
    dims: LaunchDims,
    args: Vec<Kept<B>>,
}

/// The launches of one recorded graph.
type Graph<B> = Rc<Vec<Recorded<B>>>;

/// `inner` with graphs recorded and replayed on the host.
struct SoftGraphs<D: Device> {
    inner: D,
    capturing: RefCell<Option<Vec<Recorded<D::Buffer>>>>,
    graphs: RefCell<Vec<Graph<D::Buffer>>>,
}

impl<D: Device> SoftGraphs<D> {
    fn new(inner: D) -> Self {
        SoftGraphs {
            inner,
            capturing: RefCell::new(None),
            graphs: RefCell::new(Vec::new()),
        }
    }

    fn run(&self, r: &Recorded<D::Buffer>) -> DeviceResult<()> {
        let args: Vec<Arg<'_, D::Buffer>> = r
            .args
            .iter()
            .map(|a| match a {
                Kept::Buffer(b) => Arg::Buffer(&**b),
                Kept::U32(v) => Arg::U32(*v),
                Kept::U64(v) => Arg::U64(*v),
                Kept::F32(v) => Arg::F32(*v),
                Kept::F64(v) => Arg::F64(*v),
            })
            .collect();
        self.inner.launch(&r.name, r.dims, &args)
    }
}

impl<D: Device> Device for SoftGraphs<D> {
    type Buffer = Rc<D::Buffer>;
    fn description(&self) -> String {
        self.inner.description()
    }
    fn supports_f64(&self) -> bool {
        self.inner.supports_f64()
    }
    fn max_param_bytes(&self) -> usize {
        self.inner.max_param_bytes()
    }
    fn compile(&self, source: &str) -> DeviceResult<()> {
        self.graphs.borrow_mut().clear();
        self.inner.compile(source)
    }
    fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<Self::Buffer> {
        self.inner.alloc_zeroed(bytes).map(Rc::new)
    }
    fn write(&self, buf: &Self::Buffer, offset: usize, data: &[u8]) -> DeviceResult<()> {
        assert!(self.capturing.borrow().is_none(), "a write while recording");
        self.inner.write(buf, offset, data)
    }
    fn read(&self, buf: &Self::Buffer, offset: usize, out: &mut [u8]) -> DeviceResult<()> {
        assert!(self.capturing.borrow().is_none(), "a read while recording");
        self.inner.read(buf, offset, out)
    }
    fn zero(&self, buf: &Self::Buffer) -> DeviceResult<()> {
        assert!(self.capturing.borrow().is_none(), "zeroing while recording");
        self.inner.zero(buf)
    }
    fn launch(
        &self,
        name: &str,
        dims: LaunchDims,
        args: &[Arg<'_, Self::Buffer>],
    ) -> DeviceResult<()> {
        let kept: Vec<Kept<D::Buffer>> = args
            .iter()
            .map(|a| match a {
                Arg::Buffer(b) => Kept::Buffer(Rc::clone(b)),
                Arg::U32(v) => Kept::U32(*v),
                Arg::U64(v) => Kept::U64(*v),
                Arg::F32(v) => Kept::F32(*v),
                Arg::F64(v) => Kept::F64(*v),
            })
            .collect();
        let r = Recorded {
            name: name.to_string(),
            dims,
            args: kept,
        };
        if let Some(c) = self.capturing.borrow_mut().as_mut() {
            c.push(r);
            return Ok(());
        }
        self.run(&r)
    }
    fn synchronize(&self) -> DeviceResult<()> {
        self.inner.synchronize()
    }
    fn supports_graphs(&self) -> bool {
        true
    }
    fn begin_capture(&self) -> DeviceResult<()> {
        *self.capturing.borrow_mut() = Some(Vec::new());
        Ok(())
    }
    fn end_capture(&self) -> DeviceResult<GraphId> {
        let g = self.capturing.borrow_mut().take().expect("recording");
        let mut graphs = self.graphs.borrow_mut();
        graphs.push(Rc::new(g));
        Ok(GraphId(graphs.len() - 1))
    }
    fn replay(&self, graph: GraphId) -> DeviceResult<()> {
        let g = Rc::clone(&self.graphs.borrow()[graph.0]);
        g.iter().try_for_each(|r| self.run(r))
    }
}

/// Poisson input to a LIF population through STDP, which drives another
/// with axonal and dendritic delays; spikes of all three and two variable samples
/// recorded, in chunks of `chunk` steps.
fn net(precision: Precision, chunk: u32) -> (Network, [PopulationId; 3], [VarRecordingId; 2]) {
    let mut net = Network::new(0.1).unwrap();
    net.set_precision(precision);
    net.recording_chunk_steps = chunk;
    let lif = || Lif {
        c: 0.25,
        tau_m: 10.0,
        v_rest: -65.0,
        v_reset: -70.0,
        v_thresh: -52.0,
        i_offset: 0.3,
        tau_refrac: 2.0,
    };
    let input = net
        .add_population("In", 200, Poisson { rate: 40.0 })
        .init("time_step_to_spike", 0.0)
        .record_spikes(true)
        .build()
        .unwrap();
    let mut pop = |name: &str| {
        net.add_population(name, 300, lif())
            .init("v", VarInit::uniform(-65.0, -53.0))
            .init("refrac_time", 0.0)
            .record_spikes(true)
            .build()
            .unwrap()
    };
    let (a, b) = (pop("A"), pop("B"));
    net.add_synapse_group(
        "InA",
        input,
        a,
        StdpAdditive {
            tau_plus: 20.0,
            tau_minus: 20.0,
            a_plus: 0.01,
            a_minus: 0.012,
            w_min: 0.0,
            w_max: 1.0,
        },
        ExpCurr { tau: 5.0 },
    )
    .connectivity(Connectivity::FixedProbability {
        p: 0.1,
        autapses: true,
    })
    .wu_init("g", VarInit::uniform(0.2, 0.8))
    .pre_init("x", 0.0)
    .post_init("y", 0.0)
    .build()
    .unwrap();
    net.add_synapse_group("AB", a, b, StaticPulseDendriticDelay, DeltaCurr {})
        .connectivity(Connectivity::FixedProbability {
            p: 0.05,
            autapses: true,
        })
        .wu_init("g", 2.0)
        .wu_init("d", VarInit::uniform(0.0, 6.0))
        .max_dendritic_delay(6)
        .axonal_delay(3)
        .build()
        .unwrap();
    let v = net
        .record_var(a, "v", Neurons::Ids(vec![3, 1, 299]), 3)
        .unwrap();
    let r = net.record_var(b, "refrac_time", Neurons::All, 40).unwrap();
    (net, [input, a, b], [v, r])
}

/// Everything the runs are compared on.
#[derive(Debug, PartialEq)]
struct Outcome {
    spikes: Vec<(Vec<u64>, Vec<u32>)>,
    samples: Vec<Vec<u64>>,
    weights: Vec<u64>,
    steps: u64,
}

/// Runs `sim` in uneven pieces (across graph lengths, chunks and a
/// checkpoint taken and loaded back) and collects the [`Outcome`].
fn outcome(
    sim: &mut dyn Simulation,
    pops: [PopulationId; 3],
    recs: [VarRecordingId; 2],
) -> Outcome {
    sim.run_steps(137).unwrap();
    sim.run_steps(1).unwrap();
    let state = sim.save_state().unwrap();
    sim.run_steps(61).unwrap();
    sim.load_state(&state).unwrap();
    sim.run_steps(112).unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    Outcome {
        spikes: pops
            .iter()
            .map(|&p| {
                let s = sim.spikes(p).unwrap();
                (bits(&s.times), s.ids)
            })
            .collect(),
        samples: recs
            .iter()
            .map(|&r| bits(&sim.recorded_var(r).unwrap().values))
            .collect(),
        weights: bits(&sim.synapse_var_values("InA", "g").unwrap()),
        steps: sim.step_count(),
    }
}

fn opencl() -> Option<OpenClDevice> {
    if !snn::testing::TestBackend::OpenCl.check() {
        return None;
    }
    Some(OpenClDevice::new(DeviceSelection::Any).expect("checked"))
}

#[test]
fn replayed_graphs_match_step_by_step_launches_on_opencl() {
    // Chunks of 16 steps: segments shorter than a long graph; of 1000:
    // long graphs and single steps.
    for (precision, chunk) in [
        (Precision::F32, 16),
        (Precision::F64, 16),
        (Precision::F32, 1000),
    ] {
        let (net, pops, recs) = net(precision, chunk);
        let Some(dev) = opencl() else { return };
        let mut plain = GpuSimulation::new(dev, &net, Dialect::OpenCl).unwrap();
        let want = outcome(&mut plain, pops, recs);
        let stepping = plain.report().stepping.unwrap();
        assert_eq!(stepping.replayed_steps, 0);
        assert_eq!(stepping.launched_steps, 311);
        assert!(stepping.graphs_off.unwrap().contains("cannot record"));

        let dev = SoftGraphs::new(opencl().expect("opened above"));
        let mut replayed = GpuSimulation::new(dev, &net, Dialect::OpenCl).unwrap();
        let got = outcome(&mut replayed, pops, recs);
        assert_eq!(got, want, "{precision:?}, chunks of {chunk}");
        let stepping = replayed.report().stepping.unwrap();
        assert_eq!((stepping.replayed_steps, stepping.launched_steps), (311, 0));
        assert_eq!(stepping.graph_steps, Some(50));
        // Graphs of 1 step, and of 50 where segments are that long.
        let graphs = replayed.device().graphs.borrow().len();
        assert_eq!(graphs, if chunk == 16 { 1 } else { 2 });
        assert_eq!(stepping.graphs_off, None);
        // The CPU backend agrees: spikes and samples exactly; weights up to
        // the device's `exp` (STDP), which is not glibc's.
        if precision == Precision::F64 && chunk == 16 {
            let mut cpu = CpuSimulation::new(&net).unwrap();
            let c = outcome(&mut cpu, pops, recs);
            assert!(c.spikes == want.spikes && c.samples == want.samples);
            assert_eq!(c.weights.len(), want.weights.len());
            for (a, b) in c.weights.iter().zip(&want.weights) {
                let (a, b) = (f64::from_bits(*a), f64::from_bits(*b));
                assert!((a - b).abs() <= 1e-12, "{a} {b}");
            }
        }
        // Live: every population spiked, weights moved.
        assert!(want.spikes.iter().all(|(t, _)| t.len() > 100));
    }
}

#[test]
fn cuda_graphs_match_step_by_step_launches() {
    if !snn::testing::TestBackend::Cuda.check() {
        return;
    }
    let (net, pops, recs) = net(Precision::F32, 1000);
    let dev = || snn_cuda_host::CudaDevice::new(0).expect("checked");
    let mut plain = GpuSimulation::new(dev(), &net, Dialect::Cuda).unwrap();
    plain.use_graphs(false);
    let want = outcome(&mut plain, pops, recs);
    assert_eq!(plain.report().stepping.unwrap().replayed_steps, 0);
    let mut graphs = GpuSimulation::new(dev(), &net, Dialect::Cuda).unwrap();
    let got = outcome(&mut graphs, pops, recs);
    let stepping = graphs.report().stepping.unwrap();
    assert_eq!(stepping.graphs_off, None, "{stepping}");
    assert_eq!((stepping.replayed_steps, stepping.launched_steps), (311, 0));
    assert_eq!(got, want);
}
