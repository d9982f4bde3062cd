//! The printed code of every built-in and test model, in both precisions and
//! both exit modes, compiles as OpenCL C 1.2 (clang's OpenCL front end, the
//! one PoCL uses, with `-Wall -Werror`; unused locals of the test wrappers
//! are allowed).
//!
//! Ignored by default: it needs clang (`apt-get install clang-14`), which CI
//! does not have. Run it with `cargo test -p snn-kernels --test opencl_syntax
//! -- --ignored` (`$CLANG` names the compiler; default `clang-14`, then `clang`).

use crate::common::{env_stubs, stub_env, stub_instance, work_dir};
use snn_core::model::{FieldDesc, FieldKind, Model, ModelDesc};
use snn_core::Precision;
use snn_kernels::cgen::{method_return_type, method_to_c, CType, CodeCtx, Exit, PRELUDE};
use std::fmt::Write as _;
use std::process::Command;

fn clang() -> String {
    let candidates = match std::env::var("CLANG") {
        Ok(c) => vec![c],
        Err(_) => vec!["clang-14".to_string(), "clang".to_string()],
    };
    for c in &candidates {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c.clone();
        }
    }
    panic!("no clang ({candidates:?}): install clang-14 or set CLANG to run this test");
}

fn models() -> Vec<&'static ModelDesc> {
    let mut all = snn_core::builtin::all_models();
    all.extend([
        crate::models::Shadow::DESC,
        crate::models::Infer::DESC,
        crate::models::Ints::DESC,
        crate::models::Loops::DESC,
        crate::models::Order::DESC,
        crate::models::Maths::DESC,
        crate::models::Sink::DESC,
    ]);
    all
}

/// One OpenCL C file: each method in a function whose locals stand for the
/// model's fields (OpenCL C 1.2 has no mutable program-scope variables).
fn opencl_source(p: Precision) -> String {
    let mut src = String::from("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
    src.push_str(PRELUDE);
    src.push_str(&env_stubs(p));
    for desc in models() {
        let inst = stub_instance(desc);
        let field = |f: &FieldDesc| inst.field_text(f, p);
        for m in desc.methods {
            let env = stub_env(m.method);
            let ret =
                method_return_type(m.method).map_or("void", |t| CType::from_ir(t, p).c_name());
            let goto = Exit::Goto {
                result: Some("res"),
                label: "done",
            };
            for (k, exit) in [Exit::Return, goto].into_iter().enumerate() {
                let ctx = CodeCtx {
                    precision: p,
                    field: &field,
                    env: &env,
                    model: desc,
                    exit,
                };
                let body = method_to_c(m, &ctx).unwrap_or_else(|e| panic!("{e}"));
                let name = format!("{}_{}_{k}", desc.name, m.method);
                writeln!(src, "{ret} {name}(void);\n{ret} {name}(void)\n{{").unwrap();
                for f in desc.fields {
                    let ty = CType::from_ir(f.ty, p).c_name();
                    match f.kind {
                        FieldKind::Var | FieldKind::InSyn => {
                            writeln!(src, "    {ty} m_{} = 0;", f.name).unwrap()
                        }
                        FieldKind::Egp => {
                            writeln!(src, "    const {ty} m_{}[2] = {{1, 2}};", f.name).unwrap()
                        }
                        FieldKind::NeuronVar => {
                            writeln!(src, "    {ty} n_{} = 0;", f.name).unwrap()
                        }
                        _ => {}
                    }
                }
                if k == 1 && ret != "void" {
                    writeln!(src, "    {ret} res;").unwrap();
                }
                src.push_str(&body);
                if k == 1 && ret != "void" {
                    writeln!(src, "    return res;").unwrap();
                }
                src.push_str("}\n");
            }
        }
    }
    src.push_str("__kernel void k(__global float *out) { out[0] = 1.0f; }\n");
    src
}

#[test]
#[ignore = "needs clang (apt-get install clang-14); run with --ignored"]
fn printed_code_compiles_as_opencl_c_1_2() {
    let clang = clang();
    for p in [Precision::F32, Precision::F64] {
        let dir = work_dir(&format!("opencl_{p:?}"));
        let file = dir.join("all.cl");
        let src = opencl_source(p);
        std::fs::write(&file, &src).unwrap();
        let out = Command::new(&clang)
            .args([
                "-x",
                "cl",
                "-cl-std=CL1.2",
                "-Xclang",
                "-finclude-default-header",
            ])
            .args([
                "-Wall",
                "-Werror",
                "-Wno-unused-variable",
                "-Wno-unused-but-set-variable",
                "-fsyntax-only",
            ])
            .arg(&file)
            .output()
            .expect("run clang");
        assert!(
            out.status.success(),
            "{p:?}: not valid OpenCL C 1.2 ({}):\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
