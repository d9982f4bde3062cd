//! The runtime shared by the GPU backends: a [`GpuSimulation`] runs a
//! network's [`KernelPlan`] on any [`Device`].
//!
//! Building a simulation initialises the network on the device
//! ([`crate::init_kernels`]: the CPU backend's algorithms and random
//! streams, so the same connectivity and the same values up to the device's
//! `log`/`exp` rounding), or, with [`InitOn::Host`], on the host
//! ([`InitialState`], exactly the CPU backend's numbers, uploaded); then it
//! generates and compiles the step kernels and allocates the remaining
//! buffers. Stepping needs no host work per step (module `stepping`): the
//! kernels read the step and its time from the device clock, so the steps
//! up to the next full recording buffer (spike bitfields of
//! `recording_chunk_steps` steps, variable samples of
//! `recording_chunk_steps / every`) are replayed from recorded graphs
//! where the device has them (CUDA), else launched; each full buffer is
//! then read once. Delay overflows of `add_to_post_delay` are recorded on
//! the device with their step and reported at the next read (and at the
//! end of [`Simulation::run_steps`]).
//!
//! Plasticity: `#[pre_var]` / `#[post_var]`s are initialised like other
//! variables (init kernels on the device, streams `96 + k` / `112 + k`, or
//! the host's [`InitialState`]); the column-wise view of groups with
//! `on_post_spike` is built on the host once, from the connectivity (read
//! back from the device after device initialisation). Between steps,
//! `set_egp` writes every device copy of the parameter and
//! `set_spike_recording` decodes what is pending before switching, so the
//! device keeps writing bitfields and the steps while off are dropped.
//!
//! Timing (module `timing`): when the network asks for it
//! ([`Network::set_timing`]), the device times every launch from the first
//! init kernel on, and [`Simulation::report`] gives the device times per
//! phase and kernel.
//!
//! Checkpoints (`save_state` / `load_state`, module `checkpoint`): every
//! stateful buffer is read into / written from a [`snn_core::state::SimState`];
//! connectivity with rows or columns longer than this simulation's ragged
//! strides regenerates the kernels and buffers for it.

use crate::device::{Arg, Device, DeviceError, LaunchDims};
use crate::init_kernels::{init_on_device, DeviceInit, ModelSnippets};
use snn_core::connectivity::SparseConnectivity;
use snn_core::error::{Error, Result};
use snn_core::handle::{EgpId, VarId};
use snn_core::initial::InitialState;
use snn_core::ir::IrType;
use snn_core::model::FieldKind;
use snn_core::network::{Network, PopulationId, SynapseGroupId, VarRecordingId};
use snn_core::recording::{decode_bitfields, words_per_step, SpikeRecord};
use snn_core::sim::access;
use snn_core::sim::{BackendReport, RecordedVar, Simulation};
use snn_core::var::VarArray;
use snn_core::Precision;
use snn_kernels::dialect::{program, Dialect};
use snn_kernels::network::{
    elem_bytes, generate_plan, ArgSpec, BufferSpec, Contents, EgpPart, KernelPlan, BLOCK_SIZE,
    ERROR_WORDS,
};
use std::time::{Duration, Instant};

mod checkpoint;
mod stepping;
mod timing;
mod vars;

use stepping::Graphs;

/// Where a [`GpuSimulation`] initialises variables and connectivity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InitOn {
    /// Init kernels on the device (the default): nothing of size O(synapses)
    /// goes through the host, except explicit lists and per-element values.
    #[default]
    Device,
    /// On the host, then uploaded: bit-identical to the CPU backend's initial
    /// state whatever the device's math library.
    Host,
}

/// Wall-clock times of building a [`GpuSimulation`].
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildTimes {
    /// Initialisation of connectivity and variables (device or host).
    pub init: Duration,
    /// Kernel generation and compilation.
    pub compile: Duration,
    /// Allocation and upload.
    pub upload: Duration,
}

/// Spike recording state of one population.
struct Recording {
    /// First step whose bitfield has not been decoded yet.
    pulled_until: u64,
    /// Whether spikes are kept ([`Simulation::set_recording`]); the
    /// device writes the bitfields either way, and the steps while off are
    /// dropped when decoded (the state changes only after a pull).
    on: bool,
    /// The step of every decoded spike (times are `step as f64 * dt`).
    steps: Vec<u64>,
    /// The neuron of every decoded spike.
    ids: Vec<u32>,
}

/// The column-wise view of a synapse group: `col_length[N_post]`,
/// `col_ind[N_post * max_col]` (ragged positions, row-major within a column).
struct Columns {
    col_length: Vec<u32>,
    col_ind: Vec<u32>,
    max_col: u32,
}

impl Columns {
    /// Builds the view from ragged rows (`row_length`, `ind` with `stride`),
    /// with a column stride of the longest column, at least `min_col`.
    fn new(row_length: &[u32], ind: &[u32], stride: u32, n_post: u32, min_col: u32) -> Columns {
        let mut col_length = vec![0u32; n_post as usize];
        let positions = || ragged_positions(row_length, stride);
        for pos in positions() {
            col_length[ind[pos] as usize] += 1;
        }
        let max_col = col_length.iter().copied().max().unwrap_or(0).max(min_col);
        let mut col_ind = vec![0u32; n_post as usize * max_col as usize];
        let mut fill = vec![0u32; n_post as usize];
        for pos in positions() {
            let j = ind[pos] as usize;
            col_ind[j * max_col as usize + fill[j] as usize] = pos as u32;
            fill[j] += 1;
        }
        Columns {
            col_length,
            col_ind,
            max_col,
        }
    }
}

/// A network running on a GPU [`Device`].
pub struct GpuSimulation<D: Device> {
    device: D,
    dialect: Dialect,
    net: Network,
    plan: KernelPlan,
    buffers: Vec<D::Buffer>,
    step: u64,
    recordings: Vec<Option<Recording>>,
    /// Per variable recording: the times and values pulled so far.
    var_samples: Vec<(Vec<f64>, Vec<f64>)>,
    /// Per variable recording: the samples pulled from the device so far.
    var_pulled: Vec<u64>,
    /// The recorded graphs of steps, and how steps ran.
    graphs: Graphs,
    times: BuildTimes,
    host_fallbacks: Vec<String>,
    /// Whether every compiled program came from the device's cache.
    kernel_cache_hit: Option<bool>,
    /// Kernel device times, when the network asks for them.
    timing: timing::Timing,
}

impl<D: Device> GpuSimulation<D> {
    /// Initialises `net` on `device` and compiles its kernels in `dialect`
    /// ([`InitOn::Device`]).
    pub fn new(device: D, net: &Network, dialect: Dialect) -> Result<Self> {
        Self::with_init(device, net, dialect, InitOn::Device)
    }

    /// Like [`new`](Self::new), initialising where `init_on` says.
    pub fn with_init(device: D, net: &Network, dialect: Dialect, init_on: InitOn) -> Result<Self> {
        let backend = device.description();
        let dev_err = device_error(&backend);
        if net.precision() == Precision::F64 && !device.supports_f64() {
            return Err(Error::Device {
                backend: backend.clone(),
                reason: "the network uses f64 precision, which the device does not support \
                         (cl_khr_fp64): use Precision::F32 or another device"
                    .into(),
            });
        }
        let timing = timing::Timing::start(&device, net).map_err(&dev_err)?;
        let t0 = Instant::now();
        let (mut on_device, on_host, max_rows) = match init_on {
            InitOn::Device => {
                let state = init_on_device(&device, net, dialect, &ModelSnippets)
                    .map_err(|e| e.into_core(&backend))?;
                let rows: Vec<u32> = state.synapse_groups.iter().map(|g| g.max_row).collect();
                (Some(state), None, rows)
            }
            InitOn::Host => {
                let state = InitialState::new(net)?;
                let rows = state.longest_rows();
                (None, Some(state), rows)
            }
        };
        let host_fallbacks = on_device
            .as_ref()
            .map(|s| s.host_fallbacks.clone())
            .unwrap_or_default();
        // The init program (compiled by `init_on_device`), if any.
        let init_cache_hit = on_device
            .as_ref()
            .and_then(|_| device.last_compile_from_cache());
        let columns = column_views(
            &device,
            net,
            on_device.as_ref(),
            on_host.as_ref(),
            &max_rows,
        )?;
        let max_cols: Vec<u32> = columns
            .iter()
            .map(|c| c.as_ref().map_or(1, |c| c.max_col))
            .collect();
        let t1 = Instant::now();
        let plan =
            generate_plan(net, &max_rows, Some(&max_cols), merge_budget(&device)).map_err(|e| {
                Error::Device {
                    backend: backend.clone(),
                    reason: e.to_string(),
                }
            })?;
        let source = program(dialect, net.precision(), &plan.source);
        device.compile(&source).map_err(&dev_err)?;
        let kernel_cache_hit = match (init_cache_hit, device.last_compile_from_cache()) {
            (Some(a), Some(b)) => Some(a && b),
            (a, b) => a.or(b),
        };
        let t2 = Instant::now();
        let buffers = upload_buffers(
            &device,
            net,
            &plan,
            on_device.as_mut(),
            on_host.as_ref(),
            &columns,
        )?;
        device.synchronize().map_err(&dev_err)?;
        timing.collect_init(&device).map_err(&dev_err)?;
        let t3 = Instant::now();
        let recordings = net
            .populations()
            .iter()
            .map(|p| {
                p.record_spikes.then(|| Recording {
                    pulled_until: 0,
                    on: true,
                    steps: Vec::new(),
                    ids: Vec::new(),
                })
            })
            .collect();
        Ok(GpuSimulation {
            device,
            dialect,
            net: net.clone(),
            var_samples: vec![(Vec::new(), Vec::new()); net.var_recordings().len()],
            var_pulled: vec![0; net.var_recordings().len()],
            graphs: Graphs::new(),
            plan,
            buffers,
            step: 0,
            recordings,
            times: BuildTimes {
                init: t1 - t0,
                compile: t2 - t1,
                upload: t3 - t2,
            },
            host_fallbacks,
            kernel_cache_hit,
            timing,
        })
    }

    /// The device the simulation runs on.
    pub fn device(&self) -> &D {
        &self.device
    }

    /// How long building took.
    pub fn build_times(&self) -> BuildTimes {
        self.times
    }

    /// Bytes of device memory held by the simulation's buffers (the
    /// initialised state, taken over from the init kernels, included).
    pub fn device_bytes(&self) -> u64 {
        self.plan
            .buffers
            .iter()
            .map(|b| b.bytes().max(1) as u64)
            .sum()
    }

    /// What device initialisation left to the host, and why (empty with
    /// [`InitOn::Host`]).
    pub fn host_fallbacks(&self) -> &[String] {
        &self.host_fallbacks
    }

    /// The generated kernel source (without preludes).
    pub fn kernel_source(&self) -> &str {
        &self.plan.source
    }

    fn dev_err(&self, e: DeviceError) -> Error {
        device_error(&self.device.description())(e)
    }

    fn read_bytes(&self, id: usize) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.plan.buffers[id].bytes()];
        self.device
            .read(&self.buffers[id], 0, &mut out)
            .map_err(|e| self.dev_err(e))?;
        Ok(out)
    }

    fn read_u32(&self, id: usize) -> Result<Vec<u32>> {
        let b = self.read_bytes(id)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// A variable buffer's values.
    fn read_var(&self, id: usize, ty: IrType) -> Result<VarArray> {
        Ok(VarArray::from_bytes(
            ty,
            self.net.precision(),
            &self.read_bytes(id)?,
        ))
    }

    fn write_var(&self, id: usize, arr: &VarArray) -> Result<()> {
        self.write_bytes(id, &arr.to_bytes())
    }

    /// Overwrites buffer `id` from its start with `bytes`.
    fn write_bytes(&self, id: usize, bytes: &[u8]) -> Result<()> {
        self.device
            .write(&self.buffers[id], 0, bytes)
            .map_err(|e| self.dev_err(e))
    }

    /// Zeroes buffer `id`.
    fn zero(&self, id: usize) -> Result<()> {
        self.device
            .zero(&self.buffers[id])
            .map_err(|e| self.dev_err(e))
    }

    /// Enqueues the launches of one step.
    fn launch_step(&self) -> Result<()> {
        let p = self.net.precision();
        let scalar = |v: f64| match p {
            Precision::F32 => Arg::F32(v as f32),
            Precision::F64 => Arg::F64(v),
        };
        for l in &self.plan.step_launches {
            let args: Vec<Arg<'_, D::Buffer>> = l
                .args
                .iter()
                .map(|a| match *a {
                    ArgSpec::Buffer(id) => Arg::Buffer(&self.buffers[id]),
                    ArgSpec::U32(v) => Arg::U32(v),
                    ArgSpec::U64(v) => Arg::U64(v),
                    ArgSpec::Scalar(v) => scalar(v),
                })
                .collect();
            let dims = LaunchDims {
                blocks: l.threads.div_ceil(BLOCK_SIZE).max(1),
                threads: BLOCK_SIZE,
            };
            self.device
                .launch(&l.kernel, dims, &args)
                .map_err(|e| self.dev_err(e))?;
        }
        Ok(())
    }

    /// Decodes the recorded bitfields of population `pi` up to the current step.
    fn pull_spikes(&mut self, pi: usize) -> Result<()> {
        let Some(rec) = &self.recordings[pi] else {
            return Ok(());
        };
        let first = rec.pulled_until;
        if first == self.step {
            return Ok(());
        }
        let id = self.plan.populations[pi]
            .recording
            .expect("recorded population");
        let words = self.read_u32(id)?;
        self.zero(id)?;
        let n = self.net.populations()[pi].size;
        let wps = words_per_step(n);
        let chunk = self.plan.recording_chunk as u64;
        let rec = self.recordings[pi].as_mut().expect("recorded population");
        let mut s = if rec.on { first } else { self.step };
        // Decoded with dt = 1, so that the times are the steps (exact below 2^53).
        let mut decoded = SpikeRecord::default();
        while s < self.step {
            // Rows from `s` to the end of the buffer or the current step.
            let row = (s % chunk) as usize;
            let rows = ((chunk - s % chunk).min(self.step - s)) as usize;
            decode_bitfields(
                &words[row * wps..(row + rows) * wps],
                n,
                s,
                rows,
                1.0,
                &mut decoded,
            );
            s += rows as u64;
        }
        rec.steps.extend(decoded.times.iter().map(|&t| t as u64));
        rec.ids.extend_from_slice(&decoded.ids);
        rec.pulled_until = self.step;
        Ok(())
    }

    /// Reports the first dendritic-delay overflow flagged on the device
    /// (the earliest step, then the first group), and clears the flags.
    fn check_errors(&self) -> Result<()> {
        let words = self.read_u32(self.plan.errors)?;
        let w = |gi: usize, k: usize| words[gi * ERROR_WORDS + k];
        let first = (0..self.net.synapse_groups().len())
            .filter(|&gi| w(gi, 0) != 0)
            .map(|gi| {
                let step = ((w(gi, 2) as u64) << 32 | w(gi, 1) as u64).saturating_sub(1);
                (step, gi)
            })
            .min();
        let Some((step, gi)) = first else {
            return Ok(());
        };
        self.zero(self.plan.errors)?;
        let g = &self.net.synapse_groups()[gi];
        Err(Error::DelayOverflow {
            group: g.name.clone(),
            delay: w(gi, 3).saturating_sub(1) as u64,
            max: g.max_dendritic_delay as u64,
            step,
        })
    }

    /// Decodes the samples of variable recording `k` taken on the device
    /// since the last pull.
    fn pull_var(&mut self, k: usize) -> Result<()> {
        let rec = &self.net.var_recordings()[k];
        let every = rec.every as u64;
        let (first, taken) = (self.var_pulled[k], self.step / every);
        if first >= taken {
            return Ok(());
        }
        let pi = rec.population.0 as usize;
        let ty = self.net.populations()[pi]
            .part
            .model
            .nth(FieldKind::Var, rec.var)
            .expect("checked by record_var")
            .ty;
        let vb = self.plan.var_recordings[k];
        let values = self.read_var(vb.samples, ty)?.to_f64();
        let n = rec.neurons.len();
        let dt = self.net.dt();
        let (times, samples) = &mut self.var_samples[k];
        for j in first..taken {
            let row = (j % vb.rows as u64) as usize;
            times.push(((j + 1) * every) as f64 * dt);
            samples.extend_from_slice(&values[row * n..(row + 1) * n]);
        }
        self.var_pulled[k] = taken;
        Ok(())
    }

    /// Pulls every spike and variable recording whose device buffer is
    /// full; returns whether any was.
    fn pull_full(&mut self) -> Result<bool> {
        let mut pulled = false;
        let chunk = self.plan.recording_chunk as u64;
        for pi in 0..self.recordings.len() {
            if let Some(r) = &self.recordings[pi] {
                if self.step - r.pulled_until >= chunk {
                    self.pull_spikes(pi)?;
                    pulled = true;
                }
            }
        }
        for k in 0..self.var_pulled.len() {
            let every = self.net.var_recordings()[k].every as u64;
            if self.step / every - self.var_pulled[k] >= self.plan.var_recordings[k].rows as u64 {
                self.pull_var(k)?;
                pulled = true;
            }
        }
        Ok(pulled)
    }

    /// Steps that can run before a recording buffer is full (at least 1).
    fn steps_until_full(&self) -> u64 {
        let chunk = self.plan.recording_chunk as u64;
        let spikes = self
            .recordings
            .iter()
            .flatten()
            .map(|r| r.pulled_until + chunk - self.step);
        let vars = self
            .net
            .var_recordings()
            .iter()
            .enumerate()
            .map(|(k, rec)| {
                let rows = self.plan.var_recordings[k].rows as u64;
                ((self.var_pulled[k] + rows) * rec.every as u64).saturating_sub(self.step)
            });
        spikes.chain(vars).min().unwrap_or(u64::MAX).max(1)
    }

    /// Writes the device clock: step `step` and its time.
    fn write_clock(&self, step: u64) -> Result<()> {
        self.write_bytes(self.plan.clock.step, &step.to_ne_bytes())?;
        let t = scalar_bytes(&[step as f64 * self.net.dt()], self.net.precision());
        self.write_bytes(self.plan.clock.time, &t)
    }

    /// The ragged layout's row lengths of group `gi`.
    fn row_lengths(&self, gi: usize) -> Result<Vec<u32>> {
        self.read_u32(self.plan.groups[gi].row_length)
    }

    /// Writes new `values` of extra global parameter `k` of `part` into
    /// every device copy of it.
    fn write_egp_copies(&self, part: EgpPart, k: usize, values: &[f64]) -> Result<()> {
        let bytes = scalar_bytes(values, self.net.precision());
        if bytes.is_empty() {
            return Ok(());
        }
        for id in self.egp_copies(part, k) {
            self.write_bytes(id, &bytes)?;
        }
        Ok(())
    }

    /// The buffers holding a copy of extra global parameter `k` of `part`.
    fn egp_copies(&self, part: EgpPart, k: usize) -> impl Iterator<Item = usize> + '_ {
        self.plan
            .egp_buffers
            .iter()
            .filter(move |(o, e, _)| *o == part && *e == k)
            .map(|&(_, _, id)| id)
    }
}

/// Turns a device error into the core error naming `backend`.
fn device_error(backend: &str) -> impl Fn(DeviceError) -> Error + '_ {
    move |e| Error::Device {
        backend: backend.to_string(),
        reason: e.to_string(),
    }
}

/// The column-wise views of the groups with `on_post_spike` (built on the
/// host from the connectivity, read back from the device when it was
/// initialised there), for row strides `max_rows`.
fn column_views<D: Device>(
    device: &D,
    net: &Network,
    on_device: Option<&DeviceInit<D::Buffer>>,
    on_host: Option<&InitialState>,
    max_rows: &[u32],
) -> Result<Vec<Option<Columns>>> {
    let backend = device.description();
    let dev_err = device_error(&backend);
    let mut columns = Vec::with_capacity(net.synapse_groups().len());
    for (gi, g) in net.synapse_groups().iter().enumerate() {
        if !snn_core::plan::WuMethods::of(g.wu.model).on_post_spike {
            columns.push(None);
            continue;
        }
        let stride = max_rows[gi].max(1);
        let n_post = net.population(g.post).size;
        let (lens, ind) = match (on_device, on_host) {
            (Some(state), _) => {
                let dg = &state.synapse_groups[gi];
                let (Some(rl), Some(ind)) = (&dg.row_length, &dg.ind) else {
                    return Err(Error::Device {
                        backend: backend.clone(),
                        reason: "internal error: connectivity buffers taken".into(),
                    });
                };
                let n_pre = net.population(g.pre).size as usize;
                let mut lens = vec![0u8; n_pre * 4];
                device.read(rl, 0, &mut lens).map_err(&dev_err)?;
                let mut inds = vec![0u8; n_pre * stride as usize * 4];
                device.read(ind, 0, &mut inds).map_err(&dev_err)?;
                (words(&lens), words(&inds))
            }
            (None, Some(state)) => ragged_rows(&state.synapse_groups[gi].connectivity, stride),
            (None, None) => unreachable!("one initial state"),
        };
        columns.push(Some(Columns::new(&lens, &ind, stride, n_post, 1)));
    }
    Ok(columns)
}

/// Every buffer of `plan`: taken from the device initialisation where it
/// made it, else allocated and filled (column views, host initial state,
/// constants).
fn upload_buffers<D: Device>(
    device: &D,
    net: &Network,
    plan: &KernelPlan,
    mut on_device: Option<&mut DeviceInit<D::Buffer>>,
    on_host: Option<&InitialState>,
    columns: &[Option<Columns>],
) -> Result<Vec<D::Buffer>> {
    let backend = device.description();
    let dev_err = device_error(&backend);
    let mut buffers = Vec::with_capacity(plan.buffers.len());
    for spec in &plan.buffers {
        if let Some(buf) = on_device.as_mut().and_then(|s| s.take(&spec.contents)) {
            buffers.push(buf);
            continue;
        }
        let buf = alloc_buffer(device, spec).map_err(&dev_err)?;
        let column_bytes = match spec.contents {
            Contents::ColLength(gi) => columns[gi]
                .as_ref()
                .map(|c| bytemuck::cast_slice(&c.col_length).to_vec()),
            Contents::ColInd(gi) => columns[gi]
                .as_ref()
                .map(|c| bytemuck::cast_slice(&c.col_ind).to_vec()),
            _ => None,
        };
        if let Some(bytes) = column_bytes {
            device.write(&buf, 0, &bytes).map_err(&dev_err)?;
            buffers.push(buf);
            continue;
        }
        let bytes = initial_bytes(spec, on_host, net.precision()).ok_or_else(|| Error::Device {
            backend: backend.clone(),
            reason: format!("internal error: no initial data for {}", spec.name),
        })?;
        if let Some(bytes) = bytes {
            device.write(&buf, 0, &bytes).map_err(&dev_err)?;
        }
        buffers.push(buf);
    }
    Ok(buffers)
}

/// The parameter bytes merged kernels may take on `device`
/// ([`generate_plan`]): the device's limit, or 0 (one launch per
/// population and synapse group, as before merging) with the environment
/// variable `SNN_MERGE_KERNELS=0`, to compare the two.
fn merge_budget<D: Device>(device: &D) -> usize {
    if std::env::var_os("SNN_MERGE_KERNELS").is_some_and(|v| v == "0") {
        0
    } else {
        device.max_param_bytes()
    }
}

/// `len` times [`Real::NO_SPIKE`](snn_core::Real) in precision `p`, as bytes.
fn no_spike_bytes(len: usize, p: Precision) -> Vec<u8> {
    match p {
        Precision::F32 => <f32 as snn_core::Real>::NO_SPIKE.to_ne_bytes().repeat(len),
        Precision::F64 => <f64 as snn_core::Real>::NO_SPIKE.to_ne_bytes().repeat(len),
    }
}

/// `values` in precision `p` as native-endian bytes.
fn scalar_bytes(values: &[f64], p: Precision) -> Vec<u8> {
    match p {
        Precision::F32 => values
            .iter()
            .flat_map(|&x| (x as f32).to_ne_bytes())
            .collect(),
        Precision::F64 => values.iter().flat_map(|&x| x.to_ne_bytes()).collect(),
    }
}

/// The bytes a buffer starts with (`Some(None)` for zeros), or `None` when
/// they would come from a host initial state that is not given.
fn initial_bytes(
    spec: &BufferSpec,
    init: Option<&InitialState>,
    p: Precision,
) -> Option<Option<Vec<u8>>> {
    let init = match &spec.contents {
        Contents::Zero => return Some(None),
        Contents::NoSpike => return Some(Some(no_spike_bytes(spec.len, p))),
        Contents::ColLength(_) | Contents::ColInd(_) => return None,
        Contents::Scalars(v) => return Some(Some(scalar_bytes(v, p))),
        Contents::Words(w) => return Some(Some(bytemuck::cast_slice(w).to_vec())),
        _ => init?,
    };
    Some(Some(match &spec.contents {
        Contents::NeuronVar { pop, var } => init.populations[*pop][*var].to_bytes(),
        Contents::PostsynapticVar { group, var } => {
            init.synapse_groups[*group].psm_vars[*var].to_bytes()
        }
        Contents::CurrentSourceVar { source, var } => {
            init.current_sources[*source][*var].to_bytes()
        }
        Contents::PreVar { group, var } => init.synapse_groups[*group].pre_vars[*var].to_bytes(),
        Contents::PostVar { group, var } => init.synapse_groups[*group].post_vars[*var].to_bytes(),
        Contents::SynapseVar { group, var } => {
            let g = &init.synapse_groups[*group];
            let e = elem_bytes(spec.elem);
            let stride = spec.len / (g.connectivity.num_pre as usize).max(1);
            ragged(&g.connectivity, &g.wu_vars[*var].to_bytes(), e, stride)
        }
        Contents::Ind(group) => {
            let c = &init.synapse_groups[*group].connectivity;
            let stride = spec.len / (c.num_pre as usize).max(1);
            ragged(c, bytemuck::cast_slice(&c.ind), 4, stride)
        }
        Contents::RowLength(group) => {
            let c = &init.synapse_groups[*group].connectivity;
            c.row_ptr
                .windows(2)
                .flat_map(|w| ((w[1] - w[0]) as u32).to_ne_bytes())
                .collect()
        }
        Contents::Zero
        | Contents::NoSpike
        | Contents::ColLength(_)
        | Contents::ColInd(_)
        | Contents::Scalars(_)
        | Contents::Words(_) => unreachable!("handled above"),
    }))
}

/// Allocates a zeroed buffer for `spec`, naming it in an out-of-memory error.
fn alloc_buffer<D: Device>(
    device: &D,
    spec: &BufferSpec,
) -> std::result::Result<D::Buffer, DeviceError> {
    crate::init_kernels::alloc(device, spec.bytes(), || spec.name.clone())
}

/// Native-endian `u32` words of `bytes`.
fn words(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// CSR-ordered elements (`e` bytes each) laid out in rows of `stride`.
fn ragged(c: &SparseConnectivity, csr: &[u8], e: usize, stride: usize) -> Vec<u8> {
    let mut out = vec![0u8; c.num_pre as usize * stride * e];
    for i in 0..c.num_pre as usize {
        let (a, b) = (c.row_ptr[i] as usize, c.row_ptr[i + 1] as usize);
        out[i * stride * e..(i * stride + b - a) * e].copy_from_slice(&csr[a * e..b * e]);
    }
    out
}

/// The ragged layout of `c` with rows of `stride`: row lengths and targets.
fn ragged_rows(c: &SparseConnectivity, stride: u32) -> (Vec<u32>, Vec<u32>) {
    let lens: Vec<u32> = c.row_ptr.windows(2).map(|w| (w[1] - w[0]) as u32).collect();
    let ind = words(&ragged(c, bytemuck::cast_slice(&c.ind), 4, stride as usize));
    (lens, ind)
}

/// The CSR connectivity of ragged rows (`row_length`, `ind` with `stride`).
fn csr_from_ragged(
    num_pre: u32,
    num_post: u32,
    row_length: &[u32],
    ind: &[u32],
    stride: u32,
) -> SparseConnectivity {
    let mut row_ptr = Vec::with_capacity(row_length.len() + 1);
    row_ptr.push(0u64);
    let mut csr = Vec::with_capacity(row_length.iter().map(|&l| l as usize).sum());
    for (i, &l) in row_length.iter().enumerate() {
        let start = i * stride as usize;
        csr.extend_from_slice(&ind[start..start + l as usize]);
        row_ptr.push(csr.len() as u64);
    }
    SparseConnectivity {
        num_pre,
        num_post,
        row_ptr,
        ind: csr,
    }
}

/// Positions in the ragged layout of the synapses in CSR order.
fn ragged_positions(row_length: &[u32], stride: u32) -> impl Iterator<Item = usize> + '_ {
    row_length
        .iter()
        .enumerate()
        .flat_map(move |(i, &l)| (0..l as usize).map(move |k| i * stride as usize + k))
}

impl<D: Device> Simulation for GpuSimulation<D> {
    fn backend_name(&self) -> String {
        self.device.description()
    }
    fn network(&self) -> &Network {
        &self.net
    }
    fn step(&mut self) -> Result<()> {
        self.run_steps(1)
    }
    fn step_count(&self) -> u64 {
        self.step
    }
    fn save_state(&mut self) -> Result<snn_core::state::SimState> {
        self.save()
    }
    fn load_state(&mut self, state: &snn_core::state::SimState) -> Result<()> {
        self.load(state)
    }
    fn run_steps(&mut self, n: u64) -> Result<()> {
        snn_core::sim::check_steps(self.step, n, self.net.dt())?;
        self.run(n)
    }
    fn spikes_of(&mut self, pop: PopulationId) -> Result<SpikeRecord> {
        let pi = self.net.population_id(pop)?.0 as usize;
        if self.recordings[pi].is_none() {
            return Err(access::not_recorded(&self.net, pi));
        }
        self.pull_spikes(pi)?;
        let dt = self.net.dt();
        let rec = self.recordings[pi].as_ref().expect("recorded");
        Ok(SpikeRecord {
            times: rec.steps.iter().map(|&s| s as f64 * dt).collect(),
            ids: rec.ids.clone(),
        })
    }
    fn recorded_var(&mut self, id: VarRecordingId) -> Result<RecordedVar> {
        access::var_recording(&self.net, id)?;
        self.pull_var(id.0 as usize)?;
        let rec = access::var_recording(&self.net, id)?;
        let (times, values) = &self.var_samples[id.0 as usize];
        Ok(RecordedVar {
            times: times.clone(),
            neurons: rec.neurons.clone(),
            values: values.clone(),
        })
    }
    fn read(&self, var: VarId) -> Result<Vec<f64>> {
        access::check_handle(&self.net, var)?;
        self.read_values(var)
    }
    fn write(&mut self, var: VarId, values: &[f64]) -> Result<()> {
        access::check_handle(&self.net, var)?;
        self.write_values(var, values)
    }
    fn report(&self) -> BackendReport {
        BackendReport {
            init: Some(self.times.init),
            compile: Some(self.times.compile),
            upload: Some(self.times.upload),
            kernel_cache_hit: self.kernel_cache_hit,
            device_bytes: Some(self.device_bytes()),
            stepping: Some(self.stepping()),
            device_times: self.timing.report(&self.device, &self.plan),
        }
    }
    fn connectivity_of(&self, group: SynapseGroupId) -> Result<SparseConnectivity> {
        let gi = self.net.synapse_group_id(group)?.0 as usize;
        let g = &self.net.synapse_groups()[gi];
        let gb = &self.plan.groups[gi];
        let lens = self.row_lengths(gi)?;
        let ind = self.read_u32(gb.ind)?;
        Ok(csr_from_ragged(
            self.net.population(g.pre).size,
            self.net.population(g.post).size,
            &lens,
            &ind,
            gb.max_row,
        ))
    }
    fn write_egp(&mut self, egp: EgpId, values: &[f64]) -> Result<()> {
        self.write_egp_values(egp, values)
    }
    fn set_recording(&mut self, pop: PopulationId, on: bool) -> Result<()> {
        let pi = self.net.population_id(pop)?.0 as usize;
        if self.recordings[pi].is_none() {
            return Err(access::cannot_record(&self.net, pi, on));
        }
        // Decode what was recorded under the current state first.
        self.pull_spikes(pi)?;
        self.recordings[pi].as_mut().expect("recorded").on = on;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceResult;
    use snn_core::builtin::{Poisson, DC};
    use std::cell::Cell;

    /// A device that does nothing, counts the bytes allocated and says the
    /// first `cached` compiles came from its cache (`None`: it has no cache).
    struct CountingDevice {
        cached: Option<usize>,
        compiles: Cell<usize>,
        allocated: Cell<u64>,
    }

    impl Device for CountingDevice {
        type Buffer = ();
        fn description(&self) -> String {
            "Counting: test device".into()
        }
        fn supports_f64(&self) -> bool {
            true
        }
        fn compile(&self, _: &str) -> DeviceResult<()> {
            self.compiles.set(self.compiles.get() + 1);
            Ok(())
        }
        fn last_compile_from_cache(&self) -> Option<bool> {
            let n = self.compiles.get();
            self.cached.filter(|_| n > 0).map(|c| n <= c)
        }
        fn alloc_zeroed(&self, bytes: usize) -> DeviceResult<()> {
            self.allocated
                .set(self.allocated.get() + bytes.max(1) as u64);
            Ok(())
        }
        fn write(&self, _: &(), _: usize, _: &[u8]) -> DeviceResult<()> {
            Ok(())
        }
        fn read(&self, _: &(), _: usize, _: &mut [u8]) -> DeviceResult<()> {
            Ok(())
        }
        fn zero(&self, _: &()) -> DeviceResult<()> {
            Ok(())
        }
        fn launch(&self, _: &str, _: LaunchDims, _: &[Arg<'_, ()>]) -> DeviceResult<()> {
            Ok(())
        }
        fn synchronize(&self) -> DeviceResult<()> {
            Ok(())
        }
    }

    fn device(cached: Option<usize>) -> CountingDevice {
        CountingDevice {
            cached,
            compiles: Cell::new(0),
            allocated: Cell::new(0),
        }
    }

    fn net() -> Network {
        let mut net = Network::new(0.1).unwrap();
        let pop = net
            .add_population("P", 1000, Poisson { rate: 10.0 })
            .init("time_step_to_spike", 0.0)
            .record_spikes(true)
            .build()
            .unwrap();
        net.add_current_source("I", pop, DC { amp: 1.0 })
            .build()
            .unwrap();
        net
    }

    #[test]
    fn report_gives_device_memory_and_kernel_cache() {
        // Host init: one compile (the step kernels); every byte is held.
        let sim =
            GpuSimulation::with_init(device(Some(1)), &net(), Dialect::Cuda, InitOn::Host).unwrap();
        let r = sim.report();
        assert_eq!(r.kernel_cache_hit, Some(true));
        assert_eq!(r.device_bytes, Some(sim.device.allocated.get()));
        assert!(r.device_bytes.unwrap() >= 1000 * 4, "{r:?}");
        assert!(r.init.is_some() && r.compile.is_some() && r.upload.is_some());
        // Boxed as `Backend::build` returns it: the same report.
        let boxed: Box<dyn Simulation> = Box::new(sim);
        assert_eq!(boxed.report().device_bytes, r.device_bytes);

        // Device init: the init program came from the cache, the step
        // kernels did not, so the build was not a hit.
        let sim = GpuSimulation::with_init(device(Some(1)), &net(), Dialect::Cuda, InitOn::Device)
            .unwrap();
        assert_eq!(sim.device.compiles.get(), 2);
        assert_eq!(sim.report().kernel_cache_hit, Some(false));
        let sim = GpuSimulation::with_init(device(Some(2)), &net(), Dialect::Cuda, InitOn::Device)
            .unwrap();
        assert_eq!(sim.report().kernel_cache_hit, Some(true));
        // A device without a program cache (OpenCL).
        let sim =
            GpuSimulation::with_init(device(None), &net(), Dialect::Cuda, InitOn::Device).unwrap();
        assert_eq!(sim.report().kernel_cache_hit, None);
    }
}
