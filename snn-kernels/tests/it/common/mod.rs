//! Shared helpers of the C printer tests: compiling and running C with the
//! system C compiler, and a small harness that turns model instances into C
//! globals and functions.

#![allow(dead_code)]

use snn_core::dsl::{EnvCall, Method};
use snn_core::ir::IrType;
use snn_core::model::{FieldDesc, FieldKind, ModelDesc};
use snn_core::Precision;
use snn_kernels::cgen::{
    f32_literal, f64_literal, method_to_c, CType, CodeCtx, EnvPrinter, Exit, PRELUDE,
};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The C compiler: `$CC` or `cc`. Panics (fails the test) if it cannot run:
/// these tests need a C compiler, which CI has.
pub fn cc() -> String {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    match Command::new(&cc).arg("--version").output() {
        Ok(out) if out.status.success() => cc,
        Ok(out) => panic!(
            "the C compiler `{cc}` does not work ({}): the C printer tests need a C99 \
             compiler (gcc or clang) on PATH (or set CC)",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "no C compiler: running `{cc}` failed ({e}); the C printer tests need a C99 \
             compiler (gcc or clang) on PATH (or set CC)"
        ),
    }
}

/// A fresh directory for one compilation, under Cargo's temporary directory for tests.
pub fn work_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cgen")
        .join(format!("{name}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

/// The source with line numbers, for failure messages.
fn numbered(src: &str) -> String {
    src.lines()
        .enumerate()
        .map(|(i, l)| format!("{:4} | {l}\n", i + 1))
        .collect()
}

/// Warnings are errors; C99 with pedantic checks.
pub const STRICT: &[&str] = &[
    "-std=c99",
    "-pedantic",
    "-Wall",
    "-Werror",
    "-Werror=implicit-function-declaration",
];

/// The C++ compiler: `$CXX` or `c++`. Panics (fails the test) if it cannot run.
pub fn cxx() -> String {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    match Command::new(&cxx).arg("--version").output() {
        Ok(out) if out.status.success() => cxx,
        _ => panic!(
            "no C++ compiler: running `{cxx}` failed; the C printer tests also compile the \
             printed code as C++ (the dialect NVRTC reads): install g++ or set CXX"
        ),
    }
}

/// Checks that `src` compiles as strict C99, and as C++14 (the printed code
/// is also CUDA C++; the prelude's host branch gives C++ the same float
/// overloads), both with `-fsyntax-only`; panics with the compiler's messages
/// and the numbered source otherwise.
pub fn check_syntax(name: &str, src: &str) {
    let dir = work_dir(name);
    let file = dir.join(format!("{name}.c"));
    std::fs::write(&file, src).unwrap();
    let out = Command::new(cc())
        .args(STRICT)
        .arg("-fsyntax-only")
        .arg(&file)
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "{name}: the generated C does not compile:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        numbered(src)
    );
    let out = Command::new(cxx())
        .args(["-x", "c++", "-std=c++14", "-pedantic", "-Wall", "-Werror"])
        .arg("-fsyntax-only")
        .arg(&file)
        .output()
        .expect("run the C++ compiler");
    assert!(
        out.status.success(),
        "{name}: the generated C does not compile as C++:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        numbered(src)
    );
}

/// Compiles `src` into a program (no optimisation, no FMA contraction, no
/// fast math: plain IEEE operations in source order), runs it and returns
/// its standard output.
pub fn build_and_run(name: &str, src: &str) -> String {
    let dir = work_dir(name);
    let file = dir.join(format!("{name}.c"));
    let exe = dir.join(name);
    std::fs::write(&file, src).unwrap();
    let out = Command::new(cc())
        .args(STRICT)
        .args(["-O0", "-ffp-contract=off", "-fno-fast-math"])
        .arg(&file)
        .arg("-o")
        .arg(&exe)
        .arg("-lm")
        .output()
        .expect("run the C compiler");
    assert!(
        out.status.success(),
        "{name}: the generated C does not compile:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        numbered(src)
    );
    let run = Command::new(&exe)
        .output()
        .expect("run the compiled program");
    assert!(
        run.status.success(),
        "{name}: the compiled program failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}

/// A C literal of a value of a type (floats rounded to the type first).
pub fn c_value(v: f64, ty: CType) -> String {
    match ty {
        CType::F32 => f32_literal(v as f32),
        CType::F64 => f64_literal(v),
        CType::Bool => (if v != 0.0 { "true" } else { "false" }).to_string(),
        CType::I64 => format!("((snn_i64){})", v as i64),
        CType::U64 => format!("((snn_u64){}u)", v as u64),
        t if t.is_signed_int() => format!("{}", v as i64),
        _ => format!("{}u", v as u64),
    }
}

/// A `printf` format and argument that prints a value of type `ty` so that
/// [`parse_value`] reads it back exactly.
pub fn print_spec(expr: &str, ty: CType) -> (&'static str, String) {
    match ty {
        CType::F32 => ("%.9g", format!("(double){expr}")),
        CType::F64 => ("%.17g", expr.to_string()),
        t if t.is_signed_int() => ("%lld", format!("(long long){expr}")),
        _ => ("%llu", format!("(unsigned long long){expr}")),
    }
}

/// Reads a value printed with [`print_spec`] as `f64` (`f32` values through `f32`).
pub fn parse_value(s: &str, ty: CType) -> f64 {
    match ty {
        CType::F32 => f64::from(s.parse::<f32>().unwrap()),
        _ => s.parse::<f64>().unwrap(),
    }
}

/// One model instance in a C test program: its fields are C globals named
/// `<prefix><field>`, except parameters and derived parameters, which are
/// substituted as literals.
pub struct Instance {
    pub desc: &'static ModelDesc,
    pub prefix: String,
    /// Parameter values then derived values, in declaration order.
    pub consts: Vec<f64>,
    /// Initial values of variables (others start at 0).
    pub init: Vec<(&'static str, f64)>,
    /// Extra global parameter arrays.
    pub egps: Vec<(&'static str, Vec<f64>)>,
    /// C names of referenced neuron variables.
    pub refs: Vec<(&'static str, String)>,
}

impl Instance {
    pub fn new(desc: &'static ModelDesc, prefix: &str, consts: Vec<f64>) -> Instance {
        Instance {
            desc,
            prefix: prefix.to_string(),
            consts,
            init: Vec::new(),
            egps: Vec::new(),
            refs: Vec::new(),
        }
    }

    /// The C type of a field.
    pub fn ty(&self, f: &FieldDesc, p: Precision) -> CType {
        CType::from_ir(f.ty, p)
    }

    /// The C name of a variable.
    pub fn var(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// How the printer should print a field.
    pub fn field_text(&self, f: &FieldDesc, p: Precision) -> String {
        let n_params = self.desc.fields_of(FieldKind::Param).count();
        match f.kind {
            FieldKind::Param => {
                let i = self.desc.index_of(FieldKind::Param, f.name).unwrap();
                c_value(self.consts[i], self.ty(f, p))
            }
            FieldKind::Derived => {
                let i = self.desc.index_of(FieldKind::Derived, f.name).unwrap();
                c_value(self.consts[n_params + i], self.ty(f, p))
            }
            FieldKind::NeuronVar => self
                .refs
                .iter()
                .find(|(n, _)| *n == f.name)
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| panic!("no reference for neuron variable `{}`", f.name)),
            FieldKind::Var
            | FieldKind::InSyn
            | FieldKind::Egp
            | FieldKind::PreVar
            | FieldKind::PostVar
            | FieldKind::PreNeuronVar
            | FieldKind::PostNeuronVar
            | FieldKind::Input => self.var(f.name),
        }
    }

    /// C declarations of the instance's variables and arrays.
    pub fn globals(&self, p: Precision) -> String {
        let mut s = String::new();
        for f in self.desc.fields {
            let ty = self.ty(f, p);
            match f.kind {
                FieldKind::Var
                | FieldKind::InSyn
                | FieldKind::PreVar
                | FieldKind::PostVar
                | FieldKind::PreNeuronVar
                | FieldKind::PostNeuronVar
                | FieldKind::Input => {
                    let v = self
                        .init
                        .iter()
                        .find(|(n, _)| *n == f.name)
                        .map_or(0.0, |(_, v)| *v);
                    writeln!(
                        s,
                        "static {} {} = {};",
                        ty.c_name(),
                        self.var(f.name),
                        c_value(v, ty)
                    )
                    .unwrap();
                }
                FieldKind::Egp => {
                    let values = &self.egps.iter().find(|(n, _)| *n == f.name).unwrap().1;
                    let list: Vec<String> = values.iter().map(|&v| c_value(v, ty)).collect();
                    writeln!(
                        s,
                        "static const {} {}[] = {{ {} }};",
                        ty.c_name(),
                        self.var(f.name),
                        list.join(", ")
                    )
                    .unwrap();
                }
                _ => {}
            }
        }
        s
    }

    /// C functions `<prefix><method>(void)` for every method of the model,
    /// printed with the given environment.
    pub fn functions(&self, p: Precision, env: &EnvPrinter) -> String {
        self.desc
            .methods
            .iter()
            .map(|m| self.functions_of(p, env, m.method))
            .collect()
    }

    /// The C function `<prefix><method>(void)` of one method.
    pub fn functions_of(&self, p: Precision, env: &EnvPrinter, method: Method) -> String {
        let field = |f: &FieldDesc| self.field_text(f, p);
        let ctx = CodeCtx {
            precision: p,
            field: &field,
            env,
            model: self.desc,
            exit: Exit::Return,
        };
        let m = self.desc.method(method).expect("a method of the model");
        let body = method_to_c(m, &ctx).unwrap_or_else(|e| panic!("{e}"));
        let ret = snn_kernels::cgen::method_return_type(m.method)
            .map_or("void", |t| CType::from_ir(t, p).c_name());
        format!("static {ret} {}{}(void)\n{body}", self.prefix, m.method)
    }

    /// True if the model defines `method`.
    pub fn has(&self, method: Method) -> bool {
        self.desc.has_method(method)
    }
}

/// The C type of `Scalar`.
pub fn scalar(p: Precision) -> CType {
    CType::from_ir(IrType::Scalar, p)
}

/// The test programs' prelude: the printer's prelude plus `<stdio.h>`.
pub fn program_prelude() -> String {
    format!("#include <stdio.h>\n{PRELUDE}\n")
}

/// Declarations of stub environment functions `snn_env_<name>(...)`, one
/// per environment call (signatures [`snn_kernels::cgen::env_sig`]).
pub fn env_stubs(p: Precision) -> String {
    let s = scalar(p).c_name();
    let mut out = String::new();
    for &call in EnvCall::ALL {
        let sig = snn_kernels::cgen::env_sig(call);
        let ret = sig
            .returns
            .map_or("void", |t| CType::from_ir(t, p).c_name());
        let args: Vec<&str> = sig
            .args
            .iter()
            .map(|a| match a {
                snn_kernels::cgen::EnvArg::Scalar => s,
                _ => "unsigned int",
            })
            .collect();
        let args = if args.is_empty() {
            "void".to_string()
        } else {
            args.join(", ")
        };
        writeln!(out, "{ret} snn_env_{call}({args});").unwrap();
    }
    out
}

/// The environment of stub sources: `snn_env_<name>(args)` for the calls
/// the DSL allows in the method, an error for others.
pub fn stub_env(method: Method) -> impl Fn(EnvCall, &[String]) -> Result<String, String> {
    move |call: EnvCall, args: &[String]| {
        if !method.may_call(call) {
            return Err(format!("not available in `{method}`"));
        }
        Ok(format!("snn_env_{call}({})", args.join(", ")))
    }
}

/// An instance of `desc` for stub sources: fields are globals `m_<name>`,
/// parameters 0.5, arrays `{1, 2}`, neuron variables `n_<name>`.
pub fn stub_instance(desc: &'static ModelDesc) -> Instance {
    let n_consts =
        desc.fields_of(FieldKind::Param).count() + desc.fields_of(FieldKind::Derived).count();
    let mut inst = Instance::new(desc, "m_", vec![0.5; n_consts]);
    for f in desc.fields_of(FieldKind::Egp) {
        inst.egps.push((f.name, vec![1.0, 2.0]));
    }
    for f in desc.fields_of(FieldKind::NeuronVar) {
        inst.refs.push((f.name, format!("n_{}", f.name)));
    }
    inst
}

/// A C file with every method of `desc` in precision `p` as a function
/// `m_<method>`, over globals and stub environment functions.
pub fn stub_source(desc: &'static ModelDesc, p: Precision) -> String {
    let inst = stub_instance(desc);
    let mut src = PRELUDE.to_string();
    src.push_str(&env_stubs(p));
    for f in desc.fields_of(FieldKind::NeuronVar) {
        writeln!(src, "static {} n_{} = 0;", inst.ty(f, p).c_name(), f.name).unwrap();
    }
    src.push_str(&inst.globals(p));
    for m in desc.methods {
        let env = stub_env(m.method);
        src.push_str(&inst.functions_of(p, &env, m.method));
    }
    // Every function used, so that -Wall -Werror accepts the file.
    src.push_str("void use_all(void);\nvoid use_all(void)\n{\n");
    for m in desc.methods {
        writeln!(src, "    (void)m_{}();", m.method).unwrap();
    }
    src.push_str("}\n");
    src
}

/// The body of one method of `desc` as printed for stub sources.
pub fn stub_body(desc: &'static ModelDesc, method: Method, p: Precision) -> String {
    stub_body_result(desc, method, p).unwrap_or_else(|e| panic!("{e}"))
}

/// Like [`stub_body`], keeping the error.
pub fn stub_body_result(
    desc: &'static ModelDesc,
    method: Method,
    p: Precision,
) -> Result<String, snn_kernels::cgen::CodegenError> {
    let inst = stub_instance(desc);
    let env = stub_env(method);
    let field = |f: &FieldDesc| inst.field_text(f, p);
    let ctx = CodeCtx {
        precision: p,
        field: &field,
        env: &env,
        model: desc,
        exit: Exit::Return,
    };
    method_to_c(desc.method(method).expect("a method"), &ctx)
}
