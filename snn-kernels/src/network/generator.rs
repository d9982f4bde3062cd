//! The kernel writer every kernel shares ([`Generator`]): buffers, kernel
//! parameters, how model fields are named, inlined model methods and the
//! emitted kernels.

use super::{ArgSpec, BufferId, BufferSpec, ClockBuffers, Contents, EgpPart, GenerateError};
use crate::cgen::{method_to_c, CType, CodeCtx, Exit};
use snn_core::dsl::{EnvCall, Method};
use snn_core::ir::IrType;
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
use snn_core::network::{ModelPart, Network};
use snn_core::plan::NetworkPlan;
use snn_core::Precision;
use std::collections::HashMap;
use std::fmt::Write as _;

/// The C type of a variable's buffer (`bool` as `unsigned char`).
pub(super) fn buffer_type(ty: IrType, p: Precision) -> CType {
    match CType::from_ir(ty, p) {
        CType::Bool => CType::U8,
        t => t,
    }
}

/// Parameters and arguments of one kernel being written.
pub(super) struct Params {
    pub(super) decls: Vec<String>,
    pub(super) args: Vec<ArgSpec>,
    /// Lines the body starts with (the step and time read from the
    /// device clock: [`Generator::clock_params`]).
    prologue: String,
}

impl Params {
    /// No parameters yet.
    pub(super) fn new() -> Self {
        Params {
            decls: Vec::new(),
            args: Vec::new(),
            prologue: String::new(),
        }
    }
    /// Adds a parameter declaration and the argument passed to it.
    pub(super) fn push(&mut self, decl: String, arg: ArgSpec) {
        self.decls.push(decl);
        self.args.push(arg);
    }
    /// Adds a `GLOBAL <ty>* <name>` parameter passed buffer `id`.
    pub(super) fn buffer(&mut self, ty: CType, name: &str, id: BufferId) {
        self.push(
            format!("GLOBAL {}* {name}", ty.c_name()),
            ArgSpec::Buffer(id),
        );
    }
}

/// The state of one generation: the network, the buffers allocated and
/// the kernels emitted so far.
pub(super) struct Generator<'n> {
    pub(super) net: &'n Network,
    pub(super) p: Precision,
    pub(super) scalar: &'static str,
    pub(super) suffix: &'static str,
    pub(super) buffers: Vec<BufferSpec>,
    /// The device clock every step kernel reads.
    pub(super) clock: ClockBuffers,
    /// Kernel text (with `@NAME@`) to name.
    pub(super) kernels: HashMap<String, String>,
    /// Each emitted kernel's name and text, in order.
    pub(super) kernel_texts: Vec<(String, String)>,
    /// Device functions and merged kernels ([`Generator::merge`]).
    pub(super) source: String,
    pub(super) labels: usize,
    /// Queues, streams, inputs and references ([`NetworkPlan`]).
    pub(super) plan: NetworkPlan,
    /// [`KernelPlan::egp_buffers`].
    pub(super) egp_buffers: Vec<(EgpPart, usize, BufferId)>,
    /// Parameter declarations and body of each emitted kernel, by name
    /// (for [`Generator::merge`]).
    pub(super) kernel_parts: HashMap<String, (Vec<String>, String)>,
    /// Kernels whose device-function form ([`Generator::merge`]) is emitted.
    pub(super) device_fns: std::collections::HashSet<String>,
    /// Merged kernels emitted so far.
    pub(super) merged: usize,
}

/// How one side's weight-update fields are reached: `<prefix><name><index>`,
/// a register copy when `index` is empty, else a buffer element (`bool`
/// buffers hold `unsigned char`, compared with 0). Neuron-variable
/// references in register form use the referenced neuron variable's name
/// (the neuron kernel's registers), in buffer form the field's own name
/// (one kernel parameter per field).
#[derive(Clone, Copy)]
pub(super) struct SideAccess<'a> {
    pub(super) prefix: &'a str,
    pub(super) index: &'a str,
}

impl SideAccess<'_> {
    /// The expression reaching field `f` (`reference`: a neuron-variable
    /// reference).
    pub(super) fn print(&self, f: &FieldDesc, reference: bool) -> String {
        if self.index.is_empty() {
            let name = if reference { f.bind } else { f.name };
            return format!("{}{name}", self.prefix);
        }
        let text = format!("{}{}{}", self.prefix, f.name, self.index);
        if f.ty == IrType::Bool {
            format!("({text} != 0)")
        } else {
            text
        }
    }
}

/// How model fields are reached in a kernel.
pub(super) struct FieldNames<'a> {
    /// Prefix of register copies of variables (and `in_syn`).
    pub(super) var: &'a str,
    /// Name of the constants buffer.
    pub(super) consts: &'a str,
    /// Prefix of extra global parameter buffers.
    pub(super) egp: &'a str,
    /// Prefix of referenced neuron variables.
    pub(super) neuron: &'a str,
    /// Weight-update `#[pre_var]`s.
    pub(super) pre_var: SideAccess<'a>,
    /// Weight-update `#[post_var]`s.
    pub(super) post_var: SideAccess<'a>,
    /// Weight-update `#[pre_neuron_var]`s.
    pub(super) pre_neuron: SideAccess<'a>,
    /// Weight-update `#[post_neuron_var]`s.
    pub(super) post_neuron: SideAccess<'a>,
}

impl<'a> FieldNames<'a> {
    /// Names for models without weight-update sides.
    pub(super) fn basic(var: &'a str, consts: &'a str, egp: &'a str, neuron: &'a str) -> Self {
        let side = SideAccess {
            prefix: var,
            index: "",
        };
        FieldNames {
            var,
            consts,
            egp,
            neuron,
            pre_var: side,
            post_var: side,
            pre_neuron: side,
            post_neuron: side,
        }
    }

    /// Names in synapse code (synapse, event, learn-post and dynamics
    /// kernels): registers `w_<var>`, constants `wc`, EGPs `we_<name>`, and
    /// the buffers of both sides at `pre` / `post`.
    pub(super) fn synapse() -> FieldNames<'static> {
        FieldNames {
            var: "w_",
            consts: "wc",
            egp: "we_",
            neuron: "",
            pre_var: SideAccess {
                prefix: "wpre_",
                index: "[pre]",
            },
            post_var: SideAccess {
                prefix: "wpost_",
                index: "[post]",
            },
            pre_neuron: SideAccess {
                prefix: "pn_",
                index: "[pre]",
            },
            post_neuron: SideAccess {
                prefix: "qn_",
                index: "[post]",
            },
        }
    }

    /// The expression reaching field `f` of `model`.
    pub(super) fn print(&self, model: &ModelDesc, f: &FieldDesc) -> String {
        match f.kind {
            FieldKind::Param | FieldKind::Derived => {
                format!("{}[{}]", self.consts, model.constant_index(f))
            }
            FieldKind::Egp => format!("{}{}", self.egp, f.name),
            // A neuron model's input ports are registers named like references.
            FieldKind::NeuronVar | FieldKind::Input => format!("{}{}", self.neuron, f.name),
            FieldKind::Var | FieldKind::InSyn => format!("{}{}", self.var, f.name),
            FieldKind::PreVar => self.pre_var.print(f, false),
            FieldKind::PostVar => self.post_var.print(f, false),
            FieldKind::PreNeuronVar => self.pre_neuron.print(f, true),
            FieldKind::PostNeuronVar => self.post_neuron.print(f, true),
        }
    }
}

/// A postsynaptic model or current source instance `tag` (`p0`, `c1`) in a
/// neuron kernel: register copies `<tag>_<var>` of its variables, its
/// constants `<tag>_c`, extra global parameters `<tag>_e_<name>`.
pub(super) struct ElementPart {
    pub(super) prefix: String,
    pub(super) consts: String,
    pub(super) egp: String,
    /// Loads of the registers.
    pub(super) load: String,
    /// Stores of the registers.
    pub(super) store: String,
}

impl ElementPart {
    /// How the instance's fields are named.
    pub(super) fn names(&self) -> FieldNames<'_> {
        FieldNames::basic(&self.prefix, &self.consts, &self.egp, "n_")
    }
}

impl<'n> Generator<'n> {
    /// A generator for `net`, with nothing allocated or emitted yet.
    pub(super) fn new(net: &'n Network) -> Self {
        let p = net.precision();
        let scalar_type = CType::from_ir(IrType::Scalar, p);
        // The clock first: buffers 0 and 1.
        let clock = ClockBuffers { step: 0, time: 1 };
        let buffers = vec![
            BufferSpec {
                name: "clock: step".into(),
                elem: CType::U64,
                len: 1,
                contents: Contents::Zero,
            },
            BufferSpec {
                name: "clock: time".into(),
                elem: scalar_type,
                len: 1,
                contents: Contents::Zero,
            },
        ];
        Generator {
            net,
            p,
            scalar: scalar_type.c_name(),
            suffix: if p == Precision::F32 { "f32" } else { "f64" },
            clock,
            buffers,
            kernels: HashMap::new(),
            source: String::new(),
            kernel_texts: Vec::new(),
            labels: 0,
            plan: NetworkPlan::new(net),
            egp_buffers: Vec::new(),
            kernel_parts: HashMap::new(),
            device_fns: Default::default(),
            merged: 0,
        }
    }

    /// Declares the parameters of an [`ElementPart`] (constants, extra
    /// global parameters, then variables `vars`).
    pub(super) fn element_part(
        &mut self,
        part: &ModelPart,
        owner: &str,
        tag: &str,
        vars: &[BufferId],
        params: &mut Params,
        egp_owner: Option<EgpPart>,
    ) -> ElementPart {
        let prefix = format!("{tag}_");
        let consts = format!("{tag}_c");
        let egp = format!("{tag}_e_");
        self.const_params(part, owner, &consts, &egp, params, egp_owner);
        let (load, store) =
            self.var_registers(part, &prefix, &format!("{tag}_v"), "i", params, vars);
        ElementPart {
            prefix,
            consts,
            egp,
            load,
            store,
        }
    }

    /// Allocates a buffer and returns its id.
    pub(super) fn buffer(
        &mut self,
        name: String,
        elem: CType,
        len: usize,
        contents: Contents,
    ) -> BufferId {
        self.buffers.push(BufferSpec {
            name,
            elem,
            len,
            contents,
        });
        self.buffers.len() - 1
    }

    /// One buffer of `len` elements per variable of `part`, named
    /// `<owner>: <what> `<var>`` and filled with `contents(k)` for the
    /// `k`-th variable.
    pub(super) fn var_buffers(
        &mut self,
        part: &ModelPart,
        owner: &str,
        what: &str,
        len: usize,
        contents: impl Fn(usize) -> Contents,
    ) -> Vec<BufferId> {
        let p = self.p;
        part.model
            .fields_of(FieldKind::Var)
            .enumerate()
            .map(|(k, f)| {
                self.buffer(
                    format!("{owner}: {what} `{}`", f.name),
                    buffer_type(f.ty, p),
                    len,
                    contents(k),
                )
            })
            .collect()
    }

    /// The C type of `scalar` at the network's precision.
    pub(super) fn scalar_type(&self) -> CType {
        CType::from_ir(IrType::Scalar, self.p)
    }

    /// Prints the random draws and the calls every model kind shares.
    pub(super) fn rand_call(&self, call: EnvCall, args: &[String]) -> Option<String> {
        if let Some(draw) = crate::cgen::rand_call(call, args, self.suffix) {
            return Some(draw);
        }
        Some(match call {
            EnvCall::T => "t".into(),
            EnvCall::Dt => "dt".into(),
            // Printed by the kernel's own environment, if available there.
            _ => return None,
        })
    }

    /// Prints `method` of `model` inlined into a kernel (nothing if the model
    /// lacks it); a method with a value assigns it to `result`.
    pub(super) fn inline(
        &mut self,
        owner: &str,
        part: &ModelPart,
        method: Method,
        names: &FieldNames<'_>,
        env: &dyn Fn(EnvCall, &[String]) -> Option<String>,
        result: Option<&str>,
    ) -> Result<String, GenerateError> {
        let model = part.model;
        let Some(m) = model.method(method) else {
            return Ok(match result {
                Some(r) => format!("{r} = false;\n"),
                None => String::new(),
            });
        };
        self.labels += 1;
        let label = format!("end_{}_{}", method, self.labels);
        let field = |f: &FieldDesc| names.print(model, f);
        let envp = |call: EnvCall, args: &[String]| {
            env(call, args)
                .or_else(|| self.rand_call(call, args))
                .ok_or_else(|| "not available in this kernel".to_string())
        };
        let ctx = CodeCtx {
            precision: self.p,
            field: &field,
            env: &envp,
            model,
            exit: Exit::Goto {
                result,
                label: &label,
            },
        };
        method_to_c(m, &ctx).map_err(|source| GenerateError::Codegen {
            owner: owner.to_string(),
            source: Box::new(source),
        })
    }

    /// Declares register copies `prefix<name>` of a part's variables, loaded
    /// from buffer parameters `buf_prefix<k>`; returns (load, store) code.
    pub(super) fn var_registers(
        &self,
        part: &ModelPart,
        prefix: &str,
        buf_prefix: &str,
        index: &str,
        params: &mut Params,
        ids: &[BufferId],
    ) -> (String, String) {
        self.registers(
            part.model,
            FieldKind::Var,
            prefix,
            buf_prefix,
            index,
            params,
            ids,
        )
    }

    /// Like [`Self::var_registers`] for the fields of `kind` of `model`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn registers(
        &self,
        model: &ModelDesc,
        kind: FieldKind,
        prefix: &str,
        buf_prefix: &str,
        index: &str,
        params: &mut Params,
        ids: &[BufferId],
    ) -> (String, String) {
        let (mut load, mut store) = (String::new(), String::new());
        for (k, f) in model.fields_of(kind).enumerate() {
            let t = CType::from_ir(f.ty, self.p);
            let bt = buffer_type(f.ty, self.p);
            let buf = format!("{buf_prefix}{k}");
            params.buffer(bt, &buf, ids[k]);
            if t == CType::Bool {
                let _ = writeln!(load, "    bool {prefix}{} = {buf}[{index}] != 0;", f.name);
                let _ = writeln!(
                    store,
                    "    {buf}[{index}] = (unsigned char){prefix}{};",
                    f.name
                );
            } else {
                let _ = writeln!(
                    load,
                    "    {} {prefix}{} = {buf}[{index}];",
                    t.c_name(),
                    f.name
                );
                let _ = writeln!(store, "    {buf}[{index}] = {prefix}{};", f.name);
            }
        }
        (load, store)
    }

    /// Constants and extra global parameters of a part as parameters.
    pub(super) fn const_params(
        &mut self,
        part: &ModelPart,
        owner: &str,
        cname: &str,
        egp: &str,
        params: &mut Params,
        egp_owner: Option<EgpPart>,
    ) {
        let st = self.scalar_type();
        let consts = self.buffer(
            format!("{owner}: constants"),
            st,
            part.constants().len().max(1),
            Contents::Scalars(part.constants()),
        );
        params.buffer(st, cname, consts);
        for (k, (f, values)) in part
            .model
            .fields_of(FieldKind::Egp)
            .zip(&part.egps)
            .enumerate()
        {
            let id = self.buffer(
                format!("{owner}: extra global parameter `{}`", f.name),
                st,
                values.len().max(1),
                Contents::Scalars(values.clone()),
            );
            if let Some(o) = egp_owner {
                self.egp_buffers.push((o, k, id));
            }
            params.buffer(st, &format!("{egp}{}", f.name), id);
        }
    }

    /// Adds the device clock to a kernel's parameters: its body starts
    /// with `const snn_u64 step` and, with `time`, `const scalar t`, read
    /// from the clock ([`ClockBuffers`]) instead of passed per launch, so
    /// the launches of a step are the same every step.
    pub(super) fn clock_params(&self, params: &mut Params, time: bool) {
        params.buffer(CType::U64, "snn_clock_step", self.clock.step);
        params
            .prologue
            .push_str("    const snn_u64 step = snn_clock_step[0];\n");
        if time {
            params.buffer(self.scalar_type(), "snn_clock_t", self.clock.time);
            let _ = writeln!(
                params.prologue,
                "    const {} t = snn_clock_t[0];",
                self.scalar
            );
        }
    }

    /// Emits a kernel (or reuses an identical one) and returns its name.
    pub(super) fn emit(&mut self, base: &str, params: &Params, body: &str) -> String {
        let body = format!("{}{body}", params.prologue);
        let text = format!(
            "KERNEL void @NAME@(\n    {})\n{{\n{body}}}\n\n",
            params.decls.join(",\n    ")
        );
        if let Some(name) = self.kernels.get(&text) {
            return name.clone();
        }
        let name = format!("{base}_{}", self.kernels.len());
        self.kernel_texts
            .push((name.clone(), text.replace("@NAME@", &name)));
        self.kernels.insert(text, name.clone());
        self.kernel_parts
            .insert(name.clone(), (params.decls.clone(), body.to_string()));
        name
    }
}
