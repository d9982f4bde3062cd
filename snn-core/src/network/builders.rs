//! The builders of populations, synapse groups and current sources
//! ([`Network::add_population`] and the others), and their validation.

use super::*;

/// Collects parameters, variable initialisers and EGPs of one model part.
pub(super) struct PartBuilder {
    pub(super) model: &'static ModelDesc,
    pub(super) params: std::result::Result<Vec<f64>, String>,
    pub(super) derive: fn(&[f64], f64) -> Vec<f64>,
    pub(super) inits: Vec<(String, VarInit)>,
    pub(super) egps: Vec<(String, Vec<f64>)>,
}

impl PartBuilder {
    pub(super) fn new(
        model: &'static ModelDesc,
        params: std::result::Result<Vec<f64>, String>,
        derive: fn(&[f64], f64) -> Vec<f64>,
    ) -> Self {
        PartBuilder {
            model,
            params,
            derive,
            inits: Vec::new(),
            egps: Vec::new(),
        }
    }

    /// Validates everything; `n` is the number of elements when known.
    /// `setter`: the builder method that gives a variable its initial value.
    fn finish(self, owner: &str, setter: &str, dt: f64, n: Option<usize>) -> Result<ModelPart> {
        let m = self.model;
        let params = self.params.map_err(|reason| Error::BadParameters {
            owner: owner.to_string(),
            reason,
        })?;
        let derived = (self.derive)(&params, dt);
        m.check_constants(&params, &derived)
            .map_err(|bad| Error::InvalidParameter {
                owner: owner.to_string(),
                param: bad.name.to_string(),
                value: bad.value,
                reason: if bad.derived {
                    "(derived from the parameters and dt) is not finite".to_string()
                } else {
                    bad.reason.to_string()
                },
            })?;
        let unknown_var = |var: &str| Error::UnknownVariable {
            owner: owner.to_string(),
            model: format!("{} `{}`", m.kind.describe(), m.name),
            var: var.to_string(),
            known: m.var_names().join(", "),
        };
        let mut var_inits: Vec<Option<VarInit>> = vec![None; m.var_names().len()];
        for (var, init) in self.inits {
            let i = m
                .index_of(FieldKind::Var, &var)
                .ok_or_else(|| unknown_var(&var))?;
            let len = n.unwrap_or(match &init {
                VarInit::Values(v) => v.len(),
                _ => 0,
            });
            let ty = m.nth(FieldKind::Var, i).expect("variable index").ty;
            check_init(&init, len, ty, owner, &var)?;
            var_inits[i] = Some(init);
        }
        let var_inits = var_inits
            .into_iter()
            .zip(m.var_names())
            .map(|(init, var)| {
                init.ok_or_else(|| Error::MissingInit {
                    owner: owner.to_string(),
                    var: var.to_string(),
                    setter: setter.to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let egp_names: Vec<&str> = m.fields_of(FieldKind::Egp).map(|f| f.name).collect();
        let mut egps: Vec<Option<Vec<f64>>> = vec![None; egp_names.len()];
        for (name, values) in self.egps {
            let bad = |reason: String| Error::InvalidEgp {
                owner: owner.to_string(),
                egp: name.clone(),
                reason,
            };
            let i = egp_names.iter().position(|e| *e == name).ok_or_else(|| {
                bad(format!(
                    "{} `{}` has no such extra global parameter ({})",
                    m.kind.describe(),
                    m.name,
                    egp_list(&egp_names)
                ))
            })?;
            if let Some(x) = values.iter().find(|x| !x.is_finite()) {
                return Err(bad(format!("contains the non-finite value {x}")));
            }
            egps[i] = Some(values);
        }
        let egps = egps
            .into_iter()
            .zip(&egp_names)
            .map(|(v, name)| {
                v.ok_or_else(|| Error::InvalidEgp {
                    owner: owner.to_string(),
                    egp: name.to_string(),
                    reason: "no values given (set them with .egp(...))".to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ModelPart {
            model: m,
            params,
            derived,
            var_inits,
            egps,
        })
    }
}

/// The `init` and `egp` setters of a builder whose model part is `part`
/// (one value per `$per`).
macro_rules! part_setters {
    ($builder:ident, $per:literal) => {
        impl $builder<'_> {
            #[doc = concat!("Initial value of state variable `var`: a constant, an array (one value per ", $per, ") or a [`VarInit`] distribution / snippet.")]
            pub fn init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
                self.part.inits.push((var.to_string(), init.into()));
                self
            }
            /// Values of extra global parameter `egp`.
            pub fn egp(mut self, egp: &str, values: Vec<f64>) -> Self {
                self.part.egps.push((egp.to_string(), values));
                self
            }
        }
    };
}
part_setters!(PopulationBuilder, "neuron");
part_setters!(CurrentSourceBuilder, "target neuron");

/// Builder of a population; see [`Network::add_population`].
pub struct PopulationBuilder<'a> {
    pub(super) net: &'a mut Network,
    pub(super) name: String,
    pub(super) size: u32,
    pub(super) part: PartBuilder,
    pub(super) record_spikes: bool,
    pub(super) native: NeuronRunners,
}

impl PopulationBuilder<'_> {
    /// Records the population's spikes (default off).
    pub fn record_spikes(mut self, on: bool) -> Self {
        self.record_spikes = on;
        self
    }
    /// Validates and adds the population.
    pub fn build(self) -> Result<PopulationId> {
        self.net.check_name("population", &self.name)?;
        let owner = format!("population `{}`", self.name);
        check_count("populations", self.net.populations.len())?;
        check_vars(
            &owner,
            self.part.model,
            FieldKind::Var,
            VarInitRange::Neuron,
        )?;
        if self.size == 0 {
            return Err(Error::EmptyPopulation(self.name));
        }
        let part = self
            .part
            .finish(&owner, "init", self.net.dt, Some(self.size as usize))?;
        self.net.populations.push(PopulationDesc {
            name: self.name,
            size: self.size,
            part,
            record_spikes: self.record_spikes,
            native: self.native,
        });
        Ok(PopulationId(self.net.populations.len() as u32 - 1))
    }
}

/// Builder of a synapse group; see [`Network::add_synapse_group`].
pub struct SynapseGroupBuilder<'a> {
    pub(super) net: &'a mut Network,
    pub(super) name: String,
    pub(super) pre: PopulationRef,
    pub(super) post: PopulationRef,
    pub(super) wu: PartBuilder,
    pub(super) psm: PartBuilder,
    pub(super) connectivity: Connectivity,
    pub(super) matrix: MatrixType,
    pub(super) span: Span,
    pub(super) axonal_delay: u32,
    pub(super) axonal_delay_ms: Option<f64>,
    pub(super) max_dendritic_delay: u32,
    pub(super) pre_inits: Vec<(String, VarInit)>,
    pub(super) post_inits: Vec<(String, VarInit)>,
    pub(super) target_port: Option<String>,
    pub(super) native_wu: WeightUpdateRunners,
    pub(super) native_psm: PostsynapticRunners,
}

impl SynapseGroupBuilder<'_> {
    /// Initial value of a weight-update `#[pre_var]` (one per presynaptic neuron).
    pub fn pre_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.pre_inits.push((var.to_string(), init.into()));
        self
    }
    /// Initial value of a weight-update `#[post_var]` (one per postsynaptic neuron).
    pub fn post_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.post_inits.push((var.to_string(), init.into()));
        self
    }
    /// The connectivity rule or explicit list.
    pub fn connectivity(mut self, c: Connectivity) -> Self {
        self.connectivity = c;
        self
    }
    /// Stores the connectivity as a dense matrix (requires all-to-all connectivity).
    pub fn dense(mut self) -> Self {
        self.matrix = MatrixType::Dense;
        self
    }
    /// How GPU backends parallelise spike propagation (default
    /// [`Span::Postsynaptic`]).
    pub fn span(mut self, span: Span) -> Self {
        self.span = span;
        self
    }
    /// Initial value of a weight-update variable (per synapse). A `Vec<f64>`
    /// gives one value per synapse: in the order of an explicit list, else in
    /// row-major order (presynaptic neuron, then ascending postsynaptic index).
    pub fn wu_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.wu.inits.push((var.to_string(), init.into()));
        self
    }
    /// Values of a weight-update extra global parameter.
    pub fn wu_egp(mut self, egp: &str, values: Vec<f64>) -> Self {
        self.wu.egps.push((egp.to_string(), values));
        self
    }
    /// Initial value of a postsynaptic-model variable (per target neuron).
    pub fn psm_init(mut self, var: &str, init: impl Into<VarInit>) -> Self {
        self.psm.inits.push((var.to_string(), init.into()));
        self
    }
    /// Axonal delay in timesteps: a spike emitted in step `s` is propagated in step `s + 1 + delay`.
    /// [`axonal_delay_ms`](Self::axonal_delay_ms) gives it in milliseconds.
    pub fn axonal_delay(mut self, steps: u32) -> Self {
        self.axonal_delay = steps;
        self.axonal_delay_ms = None;
        self
    }
    /// Transmission delay in ms, as NEST's `delay`: a spike emitted in step
    /// `s` reaches the synapses in step `s + round(delay_ms / dt)`, the
    /// quotient rounded to the nearest whole step (halves away from zero).
    /// That is [`axonal_delay`](Self::axonal_delay)`(round(delay_ms / dt) - 1)`:
    /// the shortest delay is one step (`dt`), the next step.
    ///
    /// ```
    /// use snn_core::prelude::*;
    /// let mut net = Network::new(0.1).unwrap();
    /// let mut izh = |name| {
    ///     let izh = Izhikevich { a: 0.02, b: 0.2, c: -65.0, d: 8.0 };
    ///     net.add_population(name, 10, izh).init("v", -65.0).init("u", -13.0).build()
    /// };
    /// let (a, b) = (izh("A").unwrap(), izh("B").unwrap());
    /// // 1.5 ms at dt = 0.1 ms: 15 steps, an axonal delay of 14.
    /// let g = net
    ///     .add_synapse_group("AB", a, b, StaticPulse, DeltaCurr {})
    ///     .connectivity(Connectivity::OneToOne)
    ///     .wu_init("g", 0.5)
    ///     .axonal_delay_ms(1.5)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(net.synapse_group(g).axonal_delay, 14);
    /// ```
    ///
    /// [`build`](Self::build) refuses a delay that is not finite or that
    /// rounds to less than one step.
    pub fn axonal_delay_ms(mut self, delay_ms: f64) -> Self {
        self.axonal_delay_ms = Some(delay_ms);
        self
    }
    /// Injects the postsynaptic model's current into the target neuron
    /// model's input port `port` (an `#[input]` field, GeNN's additional
    /// input variable) instead of `isyn`: how a neuron receives separate
    /// inputs, e.g. excitatory and inhibitory conductances.
    pub fn target_port(mut self, port: &str) -> Self {
        self.target_port = Some(port.to_string());
        self
    }
    /// Largest per-synapse dendritic delay in timesteps (needed by models that call `add_to_post_delay`).
    pub fn max_dendritic_delay(mut self, steps: u32) -> Self {
        self.max_dendritic_delay = steps;
        self
    }
    /// Validates and adds the synapse group.
    pub fn build(self) -> Result<SynapseGroupId> {
        let net = self.net;
        net.check_name("synapse group", &self.name)?;
        let pre = net.population_id(self.pre)?;
        let post = net.population_id(self.post)?;
        let (n_pre, n_post) = (net.population(pre).size, net.population(post).size);
        check_count("synapse groups", net.synapse_groups.len())?;
        check_group_models(&self.name, self.wu.model, self.psm.model)?;
        let conn = (&self.connectivity, self.matrix);
        let n_syn = check_group_connectivity(&self.name, conn, n_pre, n_post, pre == post)?;
        let wu_owner = format!("synapse group `{}` (weight update)", self.name);
        let psm_owner = format!("synapse group `{}` (postsynaptic model)", self.name);
        let wu = self.wu.finish(&wu_owner, "wu_init", net.dt, n_syn)?;
        let psm = self
            .psm
            .finish(&psm_owner, "psm_init", net.dt, Some(n_post as usize))?;
        check_neuron_refs(&psm_owner, &psm, net.population(post))?;
        let target_port = port_index(&psm_owner, self.target_port, net.population(post))?;
        let m = wu.model;
        let pre_var_inits =
            neuron_side_inits(&wu_owner, m, FieldKind::PreVar, self.pre_inits, n_pre)?;
        let post_var_inits =
            neuron_side_inits(&wu_owner, m, FieldKind::PostVar, self.post_inits, n_post)?;
        for (kind, pop) in [
            (FieldKind::PreNeuronVar, net.population(pre)),
            (FieldKind::PostNeuronVar, net.population(post)),
        ] {
            check_refs_of(&wu_owner, m, kind, pop)?;
        }
        let axonal = match self.axonal_delay_ms {
            Some(ms) => axonal_delay_steps(&self.name, ms, net.dt)?,
            None => self.axonal_delay,
        };
        let delays = Delays {
            axonal,
            max_dendritic: self.max_dendritic_delay,
        };
        let delay_var = delays.check(&self.name, &wu, n_pre, n_post)?;
        net.synapse_groups.push(SynapseGroupDesc {
            name: self.name,
            pre,
            post,
            wu,
            psm,
            connectivity: self.connectivity,
            matrix: self.matrix,
            span: self.span,
            axonal_delay: axonal,
            max_dendritic_delay: self.max_dendritic_delay,
            delay_var,
            pre_var_inits,
            post_var_inits,
            target_port,
            native_wu: self.native_wu,
            native_psm: self.native_psm,
        });
        Ok(SynapseGroupId(net.synapse_groups.len() as u32 - 1))
    }
}

/// Group `name`'s models' variables fit their random-stream ranges.
fn check_group_models(name: &str, wu: &ModelDesc, psm: &ModelDesc) -> Result<()> {
    let owner = format!("synapse group `{name}`");
    for (model, kind, range) in [
        (wu, FieldKind::Var, VarInitRange::WeightUpdate),
        (wu, FieldKind::PreVar, VarInitRange::WeightUpdatePre),
        (wu, FieldKind::PostVar, VarInitRange::WeightUpdatePost),
        (psm, FieldKind::Var, VarInitRange::Postsynaptic),
    ] {
        check_vars(&owner, model, kind, range)?;
    }
    Ok(())
}

/// Validates group `name`'s connectivity and matrix type; the number of
/// synapses where the rule fixes it.
fn check_group_connectivity(
    name: &str,
    (conn, matrix): (&Connectivity, MatrixType),
    n_pre: u32,
    n_post: u32,
    same: bool,
) -> Result<Option<usize>> {
    let bad_conn = |reason: String| Error::InvalidConnectivity {
        group: name.to_string(),
        reason,
    };
    conn.validate(n_pre, n_post, same).map_err(bad_conn)?;
    if matrix == MatrixType::Dense && !matches!(conn, Connectivity::AllToAll { autapses: true }) {
        return Err(bad_conn(
            "a dense matrix needs all-to-all connectivity with autapses".to_string(),
        ));
    }
    Ok(match conn {
        Connectivity::Explicit { pre, .. } => Some(pre.len()),
        Connectivity::AllToAll { autapses: true } => Some(n_pre as usize * n_post as usize),
        Connectivity::OneToOne => Some(n_pre as usize),
        _ => None,
    })
}

/// The axonal delay in steps of a transmission delay of `delay_ms` ms at
/// `dt` ([`SynapseGroupBuilder::axonal_delay_ms`]): `round(delay_ms / dt) - 1`.
fn axonal_delay_steps(group: &str, delay_ms: f64, dt: f64) -> Result<u32> {
    let steps = (delay_ms / dt).round();
    let reason = if !delay_ms.is_finite() {
        format!("the axonal delay of {delay_ms} ms is not a finite number of milliseconds")
    } else if steps < 1.0 {
        format!(
            "the axonal delay of {delay_ms} ms is shorter than one step: a spike reaches the \
             synapses one step (dt = {dt} ms) after it is emitted at the earliest, so give at \
             least {dt} ms"
        )
    } else if steps > u32::MAX as f64 {
        format!("the axonal delay of {delay_ms} ms is more than 2^32 steps of dt = {dt} ms")
    } else {
        return Ok(steps as u32 - 1);
    };
    Err(Error::InvalidSynapseGroup {
        group: group.to_string(),
        reason,
    })
}

/// A synapse group's delays (steps).
struct Delays {
    axonal: u32,
    max_dendritic: u32,
}

impl Delays {
    /// Checks the delays of group `name` with weight-update part `wu`:
    /// queues that fit, no presynaptic spike times with an axonal delay, a
    /// maximum for a model that uses dendritic delays, initial delays within
    /// it. Returns the dendritic-delay variable, if the model has one.
    fn check(&self, name: &str, wu: &ModelPart, n_pre: u32, n_post: u32) -> Result<Option<usize>> {
        let m = wu.model;
        let pre_times = [PRE_SPIKE_TIMES, PRE_EVENT_TIMES].concat();
        if self.axonal > 0 && m.uses_any(&pre_times) {
            return Err(Error::InvalidSynapseGroup {
                group: name.to_string(),
                reason: format!(
                    "weight-update model `{}` reads presynaptic spike times, which are not supported \
                     with an axonal delay yet (axonal delay {}): use a dendritic delay instead",
                    m.name, self.axonal
                ),
            });
        }
        check_delay_size(name, "axonal delay", self.axonal, "presynaptic", n_pre)?;
        let what = "maximum dendritic delay";
        check_delay_size(name, what, self.max_dendritic, "postsynaptic", n_post)?;
        let delay_use = find_delay_use(m);
        if delay_use != DelayUse::None && self.max_dendritic == 0 {
            return Err(Error::InvalidSynapseGroup {
                group: name.to_string(),
                reason: format!(
                    "weight-update model `{}` uses dendritic delays: set .max_dendritic_delay(steps)",
                    m.name
                ),
            });
        }
        match delay_use {
            DelayUse::Var(v) => {
                let var = m.nth(FieldKind::Var, v).expect("delay variable").name;
                check_delay_init(name, var, &wu.var_inits[v], self.max_dendritic)?;
                Ok(Some(v))
            }
            _ => Ok(None),
        }
    }
}

/// The index of input port `port` among the `#[input]` fields of `target`'s
/// neuron model.
fn port_index(owner: &str, port: Option<String>, target: &PopulationDesc) -> Result<Option<usize>> {
    let Some(port) = port else { return Ok(None) };
    let nm = target.part.model;
    match nm.index_of(FieldKind::Input, &port) {
        Some(k) => Ok(Some(k)),
        None => {
            let names: Vec<&str> = nm.fields_of(FieldKind::Input).map(|f| f.name).collect();
            Err(Error::UnknownPort {
                owner: owner.to_string(),
                target: format!("population `{}` (model `{}`)", target.name, nm.name),
                port,
                known: if names.is_empty() {
                    "it has no #[input] fields: its only input is isyn".to_string()
                } else {
                    format!("ports: {}", names.join(", "))
                },
            })
        }
    }
}

/// Checks that a network with `existing` parts of one kind can take one
/// more: the random streams number them in 16 bits.
pub(super) fn check_count(kind: &str, existing: usize) -> Result<()> {
    if existing < MAX_GROUPS {
        return Ok(());
    }
    Err(Error::LimitExceeded {
        what: format!("the network's {kind}"),
        got: existing as u64 + 1,
        limit: MAX_GROUPS as u64,
        hint: "merge some of them: one population or group can hold up to 2^32 - 1 neurons".into(),
    })
}

/// Checks that `model`'s fields of `kind` fit their variable-initialisation
/// stream range.
pub(super) fn check_vars(
    owner: &str,
    model: &ModelDesc,
    kind: FieldKind,
    range: VarInitRange,
) -> Result<()> {
    let n = model.fields_of(kind).count();
    if n <= range.capacity() as usize {
        return Ok(());
    }
    Err(Error::LimitExceeded {
        what: format!(
            "{owner}: the {} of model `{}`",
            field_kind_name(kind),
            model.name
        ),
        got: n as u64,
        limit: range.capacity() as u64,
        hint: "keep fewer variables in the model, e.g. pack several into an extra global parameter"
            .into(),
    })
}

/// How a model's fields of `kind` are declared, for messages.
fn field_kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::PreVar => "`#[pre_var]`s",
        FieldKind::PostVar => "`#[post_var]`s",
        _ => "`#[var]`s",
    }
}

/// Checks that every `#[neuron_var]` of a postsynaptic model or current
/// source exists, with the same type, in the target neuron model.
fn check_neuron_refs(owner: &str, part: &ModelPart, target: &PopulationDesc) -> Result<()> {
    check_refs_of(owner, part.model, FieldKind::NeuronVar, target)
}

/// Checks the neuron-variable references of one kind (`NeuronVar`,
/// `PreNeuronVar`, `PostNeuronVar`) against the population they refer to.
fn check_refs_of(
    owner: &str,
    model: &ModelDesc,
    kind: FieldKind,
    target: &PopulationDesc,
) -> Result<()> {
    let nm = target.part.model;
    for f in model.fields_of(kind) {
        let ok = nm
            .fields_of(FieldKind::Var)
            .any(|v| v.name == f.bind && v.ty == f.ty);
        if !ok {
            return Err(Error::MissingNeuronVar {
                owner: owner.to_string(),
                var: f.bind.to_string(),
                ty: f.ty.rust_name().to_string(),
                population: target.name.clone(),
                model: nm.name.to_string(),
            });
        }
    }
    Ok(())
}

/// Validates the initialisers of a weight-update model's `#[pre_var]`s or
/// `#[post_var]`s (`kind`) for `n` neurons, in declaration order.
fn neuron_side_inits(
    owner: &str,
    m: &'static ModelDesc,
    kind: FieldKind,
    inits: Vec<(String, VarInit)>,
    n: u32,
) -> Result<Vec<VarInit>> {
    let names: Vec<&str> = m.fields_of(kind).map(|f| f.name).collect();
    let what = if kind == FieldKind::PreVar {
        "presynaptic variable"
    } else {
        "postsynaptic variable"
    };
    let mut out: Vec<Option<VarInit>> = vec![None; names.len()];
    for (var, init) in inits {
        let i = names
            .iter()
            .position(|n| *n == var)
            .ok_or_else(|| Error::UnknownVariable {
                owner: owner.to_string(),
                model: format!("{} `{}` ({what}s)", m.kind.describe(), m.name),
                var: var.clone(),
                known: names.join(", "),
            })?;
        let ty = m.nth(kind, i).expect("variable index").ty;
        check_init(&init, n as usize, ty, owner, &var)?;
        out[i] = Some(init);
    }
    out.into_iter()
        .zip(&names)
        .map(|(init, var)| {
            init.ok_or_else(|| Error::InvalidVarInit {
                owner: owner.to_string(),
                var: var.to_string(),
                reason: format!(
                    "the {what} has no initial value (give one with .{}(\"{var}\", ...))",
                    if kind == FieldKind::PreVar {
                        "pre_init"
                    } else {
                        "post_init"
                    }
                ),
            })
        })
        .collect()
}

/// How a weight-update model uses dendritic delays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DelayUse {
    /// It never calls `add_to_post_delay`.
    None,
    /// It passes this state variable (possibly cast) as the delay.
    Var(usize),
    /// It passes a computed value: checked during simulation only.
    Computed,
}

/// Finds how a weight-update model calls `add_to_post_delay`.
fn find_delay_use(m: &'static ModelDesc) -> DelayUse {
    fn visit(stmts: &[Stmt], found: &mut Vec<&'static Expr>) {
        for s in stmts {
            match s {
                Stmt::Expr(Expr::Env(EnvCall::AddToPostDelay, args)) => found.push(&args[1]),
                Stmt::If { then, else_, .. } => {
                    visit(then.stmts, found);
                    if let Some(e) = else_ {
                        visit(e.stmts, found);
                    }
                }
                Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop(body) => {
                    visit(body.stmts, found)
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    for method in m.methods {
        visit(method.body.stmts, &mut found);
    }
    let mut result = DelayUse::None;
    for e in found {
        let field = match e {
            Expr::Field(f) | Expr::Cast(Expr::Field(f), _) => Some(*f),
            _ => None,
        };
        result = match (field.and_then(|f| m.index_of(FieldKind::Var, f)), result) {
            (Some(i), DelayUse::None) => DelayUse::Var(i),
            (Some(i), DelayUse::Var(j)) if i == j => DelayUse::Var(i),
            _ => DelayUse::Computed,
        };
    }
    result
}

/// Checks that a delay of `steps` keeps its queue (axonal: `steps + 1`
/// slots of `n` presynaptic neurons) or ring (dendritic: `steps + 1` slots
/// of `n` postsynaptic neurons) within 2^32 entries, the limit of every
/// backend's indexing.
fn check_delay_size(group: &str, what: &str, steps: u32, side: &str, n: u32) -> Result<()> {
    let entries = (steps as u64 + 1) * n as u64;
    if entries > u32::MAX as u64 {
        return Err(Error::InvalidSynapseGroup {
            group: group.to_string(),
            reason: format!(
                "{what} of {steps} steps is too large: its {} slots of {n} {side} neurons \
                 ({entries} entries) exceed the supported 2^32 - 1 (at most {} steps here)",
                steps as u64 + 1,
                (u32::MAX as u64 / n as u64).saturating_sub(1)
            ),
        });
    }
    Ok(())
}

/// Checks that a dendritic-delay initialiser of variable `var` can neither
/// exceed `max` nor be negative.
fn check_delay_init(group: &str, var: &str, init: &VarInit, max: u32) -> Result<()> {
    let too_large = |delay: f64| Error::DelayTooLarge {
        group: group.to_string(),
        delay: delay as u64,
        max: max as u64,
    };
    let negative = |delay: f64| Error::InvalidVarInit {
        owner: format!("synapse group `{group}` (weight update)"),
        var: var.to_string(),
        reason: format!("dendritic delay {delay} is negative: delays must be >= 0 steps"),
    };
    match init {
        VarInit::Constant(d) if *d < 0.0 => return Err(negative(*d)),
        VarInit::Values(v) => {
            if let Some(&d) = v.iter().find(|&&d| d < 0.0) {
                return Err(negative(d));
            }
        }
        VarInit::Uniform { min, .. } if *min < 0.0 => return Err(negative(*min)),
        _ => {}
    }
    match init {
        VarInit::Constant(d) if *d > max as f64 => Err(too_large(*d)),
        VarInit::Values(v) => match v.iter().find(|&&d| d > max as f64) {
            Some(&d) => Err(too_large(d)),
            None => Ok(()),
        },
        VarInit::Uniform { max: hi, .. } if *hi > max as f64 + 1.0 => Err(too_large(*hi)),
        VarInit::NormalClipped { max: hi, .. } if *hi > max as f64 + 1.0 => Err(too_large(*hi)),
        _ => Ok(()),
    }
}

/// Builder of a current source; see [`Network::add_current_source`].
pub struct CurrentSourceBuilder<'a> {
    pub(super) net: &'a mut Network,
    pub(super) name: String,
    pub(super) target: PopulationRef,
    pub(super) part: PartBuilder,
    pub(super) target_port: Option<String>,
    pub(super) native: CurrentSourceRunners,
}

impl CurrentSourceBuilder<'_> {
    /// Injects into the target neuron model's input port `port` (an
    /// `#[input]` field) instead of `isyn`; see
    /// [`SynapseGroupBuilder::target_port`].
    pub fn target_port(mut self, port: &str) -> Self {
        self.target_port = Some(port.to_string());
        self
    }
    /// Validates and adds the current source.
    pub fn build(self) -> Result<CurrentSourceId> {
        let net = self.net;
        net.check_name("current source", &self.name)?;
        let target = net.population_id(self.target)?;
        let owner = format!("current source `{}`", self.name);
        check_count("current sources", net.current_sources.len())?;
        check_vars(
            &owner,
            self.part.model,
            FieldKind::Var,
            VarInitRange::CurrentSource,
        )?;
        let n = net.population(target).size as usize;
        let part = self.part.finish(&owner, "init", net.dt, Some(n))?;
        check_neuron_refs(&owner, &part, net.population(target))?;
        let target_port = port_index(&owner, self.target_port, net.population(target))?;
        net.current_sources.push(CurrentSourceDesc {
            name: self.name,
            target,
            part,
            target_port,
            native: self.native,
        });
        Ok(CurrentSourceId(net.current_sources.len() as u32 - 1))
    }
}

/// Checks an initialiser of variable `var` (of type `ty`, `len` elements)
/// of `owner`: [`VarInit::validate`] and [`VarInit::check_type`].
fn check_init(init: &VarInit, len: usize, ty: IrType, owner: &str, var: &str) -> Result<()> {
    init.validate(len)
        .and_then(|()| init.check_type(ty))
        .map_err(|reason| Error::InvalidVarInit {
            owner: owner.to_string(),
            var: var.to_string(),
            reason,
        })
}
