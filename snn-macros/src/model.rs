//! Parsing of model structs and impl blocks, and generation of their code.
//!
//! For `#[neuron_model] pub struct Lif { #[param] tau_m: Scalar, #[var] v: Scalar, .. }`
//! the struct expansion emits:
//! - `pub struct Lif { pub tau_m: f64, .. }`: the user-facing type holding the
//!   parameter values (a unit struct when there are none);
//! - `pub struct __LifState<S>`: one element's parameters, derived parameters,
//!   variables, EGPs and neuron-variable references, on which the CPU backend
//!   runs the methods, with its `StateIo` load/store;
//! - `impl Model for Lif` (metadata, parameter conversion, derived
//!   parameters) and `impl NeuronModel for Lif`.
//!
//! The impl expansion (`#[neuron_model] impl Lif { fn sim(&mut self, env: &mut NeuronEnv) {..} }`)
//! translates each method to IR (`impl ModelCode for Lif`), re-emits the bodies
//! natively for `f32` and `f64` (with `Scalar` aliased to each), and checks at
//! compile time that only state variables are assigned.

use crate::kinds::{FieldAttr, KindExt, ModelKind};
use crate::state::StateGen;
use crate::translate::{
    dsl_value, rewrite_elementary_calls, rewrite_groups_as_parens, rewrite_scalar_paths,
    translate_body, TranslateCtx,
};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use snn_dsl::{Method, ReturnType};
use syn::parse::Parser;
use syn::{Attribute, Error, Ident, ItemImpl, ItemStruct, Result, Type};

/// Types a field may have (the Rust names of `snn_core::ir::IrType`).
const FIELD_TYPES: [&str; 11] = [
    "Scalar", "f32", "f64", "i32", "u32", "i64", "u64", "u8", "u16", "usize", "bool",
];

/// One parsed field.
pub(crate) struct Field {
    pub(crate) name: Ident,
    pub(crate) attr: FieldAttr,
    /// `Scalar`, `f32`, ... as written.
    pub(crate) ty: String,
    /// Parameter constraint (`Finite`, `Positive`, `NonNegative`).
    pub(crate) constraint: &'static str,
    /// The expression of a `#[derived(expr)]`.
    derived: Option<syn::Expr>,
    /// The neuron variable a `#[pre_neuron_var(v)]` / `#[post_neuron_var(v)]` names.
    pub(crate) bind: Option<Ident>,
    docs: Vec<Attribute>,
}

/// Options given on the struct attribute.
struct StructOptions {
    auto_refractory: bool,
    /// Connectivity snippets: upper bound of the row length.
    max_row_length: Option<syn::Expr>,
}

fn parse_options(kind: ModelKind, args: TokenStream) -> Result<StructOptions> {
    let mut opts = StructOptions {
        auto_refractory: true,
        max_row_length: None,
    };
    if args.is_empty() && kind != ModelKind::Connectivity {
        return Ok(opts);
    }
    let parser = syn::meta::parser(|meta| {
        if kind == ModelKind::Neuron && meta.path.is_ident("auto_refractory") {
            let lit: syn::LitBool = meta.value()?.parse()?;
            opts.auto_refractory = lit.value;
            Ok(())
        } else if kind == ModelKind::Connectivity && meta.path.is_ident("max_row_length") {
            opts.max_row_length = Some(meta.value()?.parse()?);
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown option for #[{}]{}",
                kind.attr_name(),
                match kind {
                    ModelKind::Neuron => " (the only option is `auto_refractory = true|false`)",
                    ModelKind::Connectivity => " (the only option is `max_row_length = expr`)",
                    _ => " (it takes no options)",
                }
            )))
        }
    });
    parser.parse2(args.clone())?;
    if kind == ModelKind::Connectivity && opts.max_row_length.is_none() {
        return Err(Error::new(
            Span::call_site(),
            "#[connectivity_snippet(max_row_length = expr)] needs an upper bound of the number of \
             synapses per row, computed from the parameters (by name), `num_pre` and `num_post` (u32)",
        ));
    }
    Ok(opts)
}

fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let seg = &p.path.segments[0];
            seg.arguments
                .is_none()
                .then(|| seg.ident.to_string())
                .filter(|n| FIELD_TYPES.contains(&n.as_str()))
        }
        _ => None,
    }
}

/// Parses one field of a model struct: its one attribute, its type and
/// the attribute's arguments.
fn parse_field(kind: ModelKind, f: &syn::Field) -> Result<Field> {
    let name = f.ident.clone().expect("named fields checked by caller");
    let (attr, attribute, docs) = field_attribute(kind, f, &name)?;
    let ty = type_name(&f.ty).ok_or_else(|| {
        Error::new_spanned(
            &f.ty,
            format!("field types must be one of: {}", FIELD_TYPES.join(", ")),
        )
    })?;
    if matches!(
        attr,
        FieldAttr::Param | FieldAttr::Derived | FieldAttr::Egp | FieldAttr::Input
    ) && ty != "Scalar"
    {
        return Err(Error::new_spanned(
            &f.ty,
            format!("#[{}] fields must have type `Scalar`", attr.name()),
        ));
    }
    if name == "in_syn" {
        return Err(Error::new_spanned(
            &name,
            "`in_syn` is reserved: every postsynaptic model has it implicitly",
        ));
    }
    let (constraint, derived, bind) = attribute_args(attr, attribute)?;
    Ok(Field {
        name,
        attr,
        ty,
        constraint,
        derived,
        bind,
        docs,
    })
}

/// `#[a], #[b], ...`: the field attributes a model of `kind` allows.
fn allowed_attrs(kind: ModelKind) -> String {
    kind.field_attrs()
        .iter()
        .map(|k| format!("#[{}]", k.name()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one field attribute of `f` (and the attribute itself), allowed in
/// a model of `kind`, and its doc comments.
fn field_attribute<'f>(
    kind: ModelKind,
    f: &'f syn::Field,
    name: &Ident,
) -> Result<(FieldAttr, &'f Attribute, Vec<Attribute>)> {
    let mut found: Option<(FieldAttr, &Attribute)> = None;
    let mut docs = Vec::new();
    for a in &f.attrs {
        if a.path().is_ident("doc") {
            docs.push(a.clone());
            continue;
        }
        let Some(attr) = FieldAttr::ALL
            .into_iter()
            .find(|k| a.path().is_ident(k.name()))
        else {
            return Err(Error::new_spanned(
                a,
                "unknown field attribute: use #[param], #[derived(expr)], #[var], #[egp], #[neuron_var] \
                 (weight update: #[pre_var], #[post_var], #[pre_neuron_var], #[post_neuron_var])",
            ));
        };
        if found.is_some() {
            return Err(Error::new_spanned(
                a,
                "a field takes exactly one of #[param], #[derived], #[var], #[egp], #[neuron_var], \
                 #[pre_var], #[post_var], #[pre_neuron_var], #[post_neuron_var]",
            ));
        }
        found = Some((attr, a));
    }
    let Some((attr, attribute)) = found else {
        return Err(Error::new_spanned(
            name,
            format!("field `{name}` needs one of: {}", allowed_attrs(kind)),
        ));
    };
    if !kind.field_attrs().contains(&attr) {
        return Err(Error::new_spanned(
            attribute,
            format!(
                "#[{}] fields are not allowed in a {} (allowed: {})",
                attr.name(),
                kind.attr_name(),
                allowed_attrs(kind)
            ),
        ));
    }
    Ok((attr, attribute, docs))
}

/// The arguments of a field attribute: a parameter's constraint, a derived
/// parameter's expression, a neuron-variable reference's bound name.
fn attribute_args(
    attr: FieldAttr,
    attribute: &Attribute,
) -> Result<(&'static str, Option<syn::Expr>, Option<Ident>)> {
    let mut constraint = "Finite";
    let mut derived = None;
    let mut bind = None;
    match (&attr, &attribute.meta) {
        (FieldAttr::PreNeuronVar | FieldAttr::PostNeuronVar, syn::Meta::List(list)) => {
            bind = Some(syn::parse2::<Ident>(list.tokens.clone()).map_err(|_| {
                Error::new_spanned(
                    list,
                    format!(
                        "#[{}(name)] takes the name of the neuron variable it refers to",
                        attr.name()
                    ),
                )
            })?);
        }
        (FieldAttr::Param, syn::Meta::List(list)) => {
            let id: Ident = syn::parse2(list.tokens.clone())?;
            constraint = match id.to_string().as_str() {
                "positive" => "Positive",
                "non_negative" => "NonNegative",
                _ => {
                    return Err(Error::new_spanned(
                        id,
                        "unknown constraint: use #[param(positive)] or #[param(non_negative)]",
                    ))
                }
            };
        }
        (FieldAttr::Derived, syn::Meta::List(list)) => {
            derived = Some(syn::parse2::<syn::Expr>(list.tokens.clone())?);
        }
        (FieldAttr::Derived, _) => {
            return Err(Error::new_spanned(
                attribute,
                "#[derived(expr)] needs an expression computing the value in f64 from parameters (by name) and `dt`",
            ))
        }
        (_, syn::Meta::Path(_)) => {}
        _ => {
            return Err(Error::new_spanned(
                attribute,
                format!("#[{}] takes no arguments", attr.name()),
            ))
        }
    }
    Ok((constraint, derived, bind))
}

/// Finds the path of `snn_core` as seen from the crate being compiled.
pub fn core_path() -> TokenStream {
    use proc_macro_crate::{crate_name, FoundCrate};
    match crate_name("snn-core") {
        Ok(FoundCrate::Itself) => quote!(::snn_core),
        Ok(FoundCrate::Name(n)) => {
            let id = format_ident!("{}", n);
            quote!(::#id)
        }
        Err(_) => match crate_name("snn") {
            Ok(FoundCrate::Name(n)) => {
                let id = format_ident!("{}", n);
                quote!(::#id::snn_core)
            }
            _ => quote!(::snn::snn_core),
        },
    }
}

fn state_ident(model: &Ident) -> Ident {
    format_ident!("__{}State", model)
}

/// Expands a model struct: the user-facing parameter struct, the
/// per-element state ([`StateGen`]) and `impl Model` / the kind's trait.
pub fn expand_struct(kind: ModelKind, args: TokenStream, item: ItemStruct) -> Result<TokenStream> {
    let core = core_path();
    let opts = parse_options(kind, args)?;
    let fields = parse_fields(kind, &item)?;
    let state = state_ident(&item.ident);
    let gen = StateGen::new(core.clone(), kind, &fields);
    let user_struct = user_struct(&item, &fields);
    let state_code = gen.emit(kind, &item.vis, &state);
    let model_impl = model_impl(kind, &opts, &item.ident, &fields, &gen.descs, &state);
    Ok(quote! {
        #user_struct
        #state_code
        #model_impl
    })
}

/// The fields of a model struct, every error reported at once.
fn parse_fields(kind: ModelKind, item: &ItemStruct) -> Result<Vec<Field>> {
    if !item.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &item.generics,
            "model structs cannot be generic",
        ));
    }
    let syn::Fields::Named(named) = &item.fields else {
        return Err(Error::new_spanned(
            item,
            "a model must be a struct with named fields",
        ));
    };
    let mut errors: Option<Error> = None;
    let mut fields = Vec::new();
    for f in &named.named {
        match parse_field(kind, f) {
            Ok(f) => fields.push(f),
            Err(e) => match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            },
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(fields),
    }
}

/// The user-facing struct holding the parameter values (`f64`), or a unit
/// struct when there are none.
fn user_struct(item: &ItemStruct, fields: &[Field]) -> TokenStream {
    let (name, vis) = (&item.ident, &item.vis);
    let struct_attrs: Vec<&Attribute> = item.attrs.iter().collect();
    let params: Vec<&Field> = fields
        .iter()
        .filter(|f| f.attr == FieldAttr::Param)
        .collect();
    if params.is_empty() {
        return quote! {
            #(#struct_attrs)*
            #[derive(Clone, Copy, Debug, Default, PartialEq)]
            #vis struct #name;
        };
    }
    let param_names: Vec<&Ident> = params.iter().map(|f| &f.name).collect();
    let param_docs: Vec<&Vec<Attribute>> = params.iter().map(|f| &f.docs).collect();
    quote! {
        #(#struct_attrs)*
        #[derive(Clone, Debug, PartialEq)]
        #vis struct #name { #( #(#param_docs)* pub #param_names: f64, )* }
    }
}

/// `impl Model` (metadata, parameter conversion, derived parameters
/// computed in `f64` from parameters by name and `dt`) and `impl` of the
/// kind's trait.
fn model_impl(
    kind: ModelKind,
    opts: &StructOptions,
    name: &Ident,
    fields: &[Field],
    descs: &[TokenStream],
    state: &Ident,
) -> TokenStream {
    let core = core_path();
    let of = |a: FieldAttr| fields.iter().filter(move |f| f.attr == a);
    let param_names: Vec<&Ident> = of(FieldAttr::Param).map(|f| &f.name).collect();
    let from_values = if param_names.is_empty() {
        quote!(#name)
    } else {
        let idx = 0..param_names.len();
        quote!(#name { #( #param_names: values[#idx], )* })
    };
    let derived: Vec<&Field> = of(FieldAttr::Derived).collect();
    let derived_names: Vec<&Ident> = derived.iter().map(|f| &f.name).collect();
    let derived_exprs: Vec<&syn::Expr> = derived
        .iter()
        .map(|f| {
            f.derived
                .as_ref()
                .expect("a #[derived] field has its expression")
        })
        .collect();
    let pidx = 0..param_names.len();
    let name_str = name.to_string();
    let model_kind = format_ident!("{}", kind.variant());
    let kind_trait = format_ident!("{}", kind.traits().0);
    let auto_refractory = opts.auto_refractory;
    let max_row_length = opts.max_row_length.as_ref().map(|e| {
        let pidx = 0..param_names.len();
        quote! {
            #[allow(unused_variables, clippy::unnecessary_cast)]
            fn max_row_length(params: &[f64], num_pre: u32, num_post: u32) -> u32 {
                #( let #param_names: f64 = params[#pidx]; )*
                (#e) as u32
            }
        }
    });
    quote! {
        impl #core::model::Model for #name {
            const DESC: &'static #core::model::ModelDesc = &#core::model::ModelDesc {
                name: #name_str,
                kind: #core::model::ModelKind::#model_kind,
                fields: &[ #( #descs, )* ],
                methods: <#name as #core::model::ModelCode>::METHODS,
                auto_refractory: #auto_refractory,
            };
            fn param_values(&self) -> ::std::vec::Vec<f64> {
                ::std::vec![ #( self.#param_names, )* ]
            }
            fn from_param_values(values: &[f64]) -> Self {
                let _ = values;
                #from_values
            }
            #[allow(unused_variables, clippy::let_and_return)]
            fn derived_values(params: &[f64], dt: f64) -> ::std::vec::Vec<f64> {
                #( let #param_names: f64 = params[#pidx]; )*
                #( let #derived_names: f64 = #derived_exprs; )*
                ::std::vec![ #( #derived_names, )* ]
            }
        }

        impl #core::model::#kind_trait for #name {
            type State32 = #state<f32>;
            type State64 = #state<f64>;
            #max_row_length
        }
    }
}

impl Field {
    /// The `IrType` variant name of this field's type.
    pub(crate) fn ty_variant(&self) -> &'static str {
        match self.ty.as_str() {
            "Scalar" => "Scalar",
            "f32" => "F32",
            "f64" => "F64",
            "i32" => "I32",
            "u32" => "U32",
            "i64" => "I64",
            "u64" => "U64",
            "u8" => "U8",
            "u16" => "U16",
            "usize" => "Usize",
            _ => "Bool",
        }
    }
}

/// A parsed method of a model impl block.
struct ParsedMethod {
    method: Method,
    fn_item: syn::ImplItemFn,
    env: Option<Ident>,
}

fn check_method(kind: ModelKind, f: &syn::ImplItemFn) -> Result<ParsedMethod> {
    let sig = &f.sig;
    let name = sig.ident.to_string();
    let method = kind.method(&name).ok_or_else(|| {
        Error::new_spanned(
            &sig.ident,
            format!(
                "`{name}` is not a method of a {}: expected one of {}",
                kind.attr_name(),
                kind.methods()
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let expected = method.signature();
    let wrong =
        |span: &dyn ToTokens| Error::new_spanned(span, format!("expected signature `{expected}`"));
    if !sig.generics.params.is_empty()
        || sig.asyncness.is_some()
        || sig.unsafety.is_some()
        || sig.constness.is_some()
        || sig.abi.is_some()
        || sig.variadic.is_some()
    {
        return Err(wrong(sig));
    }
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        Some(syn::FnArg::Receiver(r))
            if r.reference.is_some() && (r.mutability.is_some() == method.self_mut()) => {}
        Some(other) => return Err(wrong(other)),
        None => return Err(wrong(sig)),
    }
    let env = match inputs.next() {
        Some(syn::FnArg::Typed(pt)) => {
            let syn::Pat::Ident(pi) = &*pt.pat else {
                return Err(wrong(&pt.pat));
            };
            let ok = match &*pt.ty {
                Type::Reference(r) => {
                    r.mutability.is_some() == method.env_mut()
                        && matches!(&*r.elem, Type::Path(p)
                            if p.path.segments.last().is_some_and(|s| s.ident == kind.env_type()))
                }
                _ => false,
            };
            if !ok {
                return Err(wrong(&pt.ty));
            }
            Some(pi.ident.clone())
        }
        Some(other) => return Err(wrong(other)),
        None => None,
    };
    if let Some(extra) = inputs.next() {
        return Err(wrong(extra));
    }
    let ret_ok = match (&sig.output, method.returns()) {
        (syn::ReturnType::Default, None) => true,
        (syn::ReturnType::Type(_, t), Some(r)) => type_name(t).as_deref() == Some(r.rust_name()),
        _ => false,
    };
    if !ret_ok {
        return Err(match &sig.output {
            syn::ReturnType::Default => wrong(&sig.ident),
            out => wrong(out),
        });
    }
    Ok(ParsedMethod {
        method,
        fn_item: f.clone(),
        env,
    })
}

/// Translates method `m` of model `model`: the tokens of its `MethodIr`,
/// and the compile-time checks of the fields its body writes (and, in
/// weight-update models, reads; see `snn_core::model::field_access_ok`).
fn method_ir(
    kind: ModelKind,
    model: &Ident,
    m: &ParsedMethod,
    core: &TokenStream,
) -> Result<(TokenStream, Vec<TokenStream>)> {
    let what = format!("{} `{}`, method `{}`", kind.attr_name(), model, m.method);
    let ctx = TranslateCtx {
        core,
        env_param: m.env.as_ref(),
        env_calls: m.method.env_calls(),
        what: &what,
    };
    let t = translate_body(&m.fn_item.block, &ctx)?;
    let mname = m.method.name();
    let method = dsl_value(core, "Method", m.method);
    let block = &t.block;
    let writes: Vec<&String> = t.writes.iter().map(|(w, _)| w).collect();
    let ir =
        quote!(#core::ir::MethodIr { method: #method, body: #block, writes: &[ #( #writes ),* ] });
    let mut checks = Vec::new();
    for (w, span) in &t.writes {
        let msg = match m.method {
            Method::PreSpike => format!("`pre_spike` assigns to `self.{w}`, which is not a #[pre_var] of `{model}`: pre_spike updates only presynaptic variables"),
            Method::PostSpike => format!("`post_spike` assigns to `self.{w}`, which is not a #[post_var] of `{model}`: post_spike updates only postsynaptic variables"),
            _ => format!("`{mname}` assigns to `self.{w}`, which is not a #[var] of `{model}`: parameters, derived parameters, EGPs, neuron-variable references, input ports (and, in synapse code, pre/post variables) are read-only"),
        };
        checks.push(quote_spanned! {*span=>
            const _: () = if !#core::model::field_access_ok(
                <#model as #core::model::Model>::DESC.fields, #w, #method, true) { panic!(#msg) };
        });
    }
    if kind == ModelKind::WeightUpdate {
        for (r, span) in &t.fields {
            let msg = format!(
                "`{mname}` reads `self.{r}`, which it cannot see: pre_spike and event_threshold see only \
                 parameters, EGPs, #[pre_var]s and #[pre_neuron_var]s; post_spike only parameters, EGPs, \
                 #[post_var]s and #[post_neuron_var]s"
            );
            checks.push(quote_spanned! {*span=>
                const _: () = if !#core::model::field_access_ok(
                    <#model as #core::model::Model>::DESC.fields, #r, #method, false) { panic!(#msg) };
            });
        }
    }
    Ok((ir, checks))
}

/// Expands a model impl block.
pub fn expand_impl(kind: ModelKind, args: TokenStream, item: ItemImpl) -> Result<TokenStream> {
    let core = core_path();
    if !args.is_empty() {
        return Err(Error::new_spanned(
            args,
            format!("#[{}] on an impl block takes no options", kind.attr_name()),
        ));
    }
    if item.trait_.is_some() || !item.generics.params.is_empty() {
        return Err(Error::new_spanned(
            &item.self_ty,
            format!(
                "#[{}] goes on an inherent, non-generic impl block of the model struct",
                kind.attr_name()
            ),
        ));
    }
    let Type::Path(tp) = &*item.self_ty else {
        return Err(Error::new_spanned(
            &item.self_ty,
            "expected the model struct's name",
        ));
    };
    let name = tp.path.segments.last().unwrap().ident.clone();
    let state = state_ident(&name);

    let mut errors: Option<Error> = None;
    let mut push_err = |e: Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut methods: Vec<ParsedMethod> = Vec::new();
    for it in &item.items {
        match it {
            syn::ImplItem::Fn(f) => match check_method(kind, f) {
                Ok(m) if methods.iter().any(|o| o.method == m.method) => {
                    push_err(Error::new_spanned(&f.sig.ident, "method defined twice"))
                }
                Ok(m) => methods.push(m),
                Err(e) => push_err(e),
            },
            other => push_err(Error::new_spanned(
                other,
                "only the model's methods may appear in a model impl block",
            )),
        }
    }
    if kind == ModelKind::VarInit && !methods.iter().any(|m| m.method == Method::Init) {
        push_err(Error::new_spanned(
            &item.self_ty,
            format!(
                "a variable-initialisation snippet must define `{}`",
                Method::Init.signature()
            ),
        ));
    }

    let mut irs = Vec::new();
    let mut write_checks = Vec::new();
    for m in &methods {
        match method_ir(kind, &name, m, &core) {
            Ok((ir, checks)) => {
                irs.push(ir);
                write_checks.extend(checks);
            }
            Err(e) => push_err(e),
        }
    }
    if let Some(e) = errors {
        return Ok(failed_impls(kind, &name, &state, e));
    }
    let native32 = native_impl(kind, &state, &methods, quote!(f32));
    let native64 = native_impl(kind, &state, &methods, quote!(f64));
    Ok(quote! {
        impl #core::model::ModelCode for #name {
            const METHODS: &'static [#core::ir::MethodIr] = &[ #( #irs ),* ];
        }
        #native32
        #native64
        #( #write_checks )*
    })
}

/// The errors of a model impl block, with the model's trait impls kept
/// (empty IR, stub methods) so that rustc reports only the real errors.
fn failed_impls(kind: ModelKind, name: &Ident, state: &Ident, e: Error) -> TokenStream {
    let core = core_path();
    let behaviour = format_ident!("{}", kind.traits().1);
    let env_ty = format_ident!("{}", kind.env_type());
    let stub = |prec: TokenStream| match kind {
        ModelKind::VarInit => quote! {
            fn init(&self, _env: &mut #core::model::#env_ty<#prec>) -> #prec {
                unreachable!("the model failed to compile")
            }
        },
        _ => quote!(),
    };
    let (stub32, stub64) = (stub(quote!(f32)), stub(quote!(f64)));
    let mut out = e.into_compile_error();
    out.extend(quote! {
        impl #core::model::ModelCode for #name {
            const METHODS: &'static [#core::ir::MethodIr] = &[];
        }
        impl #core::model::#behaviour<f32> for #state<f32> { #stub32 }
        impl #core::model::#behaviour<f64> for #state<f64> { #stub64 }
    });
    out
}

/// The model's methods emitted natively in precision `prec` (with
/// `Scalar` aliased to it), as the kind's behaviour trait of the state.
fn native_impl(
    kind: ModelKind,
    state: &Ident,
    methods: &[ParsedMethod],
    prec: TokenStream,
) -> TokenStream {
    let core = core_path();
    let behaviour = format_ident!("{}", kind.traits().1);
    let env_ty = format_ident!("{}", kind.env_type());
    let fns = methods.iter().map(|m| {
        let f = &m.fn_item;
        let ident = &f.sig.ident;
        let mut body = f.block.clone();
        let scalar = syn::Ident::new(&prec.to_string(), Span::call_site());
        rewrite_groups_as_parens(&mut body);
        rewrite_scalar_paths(&mut body, &scalar);
        rewrite_elementary_calls(&mut body, &core);
        let recv = if m.method.self_mut() {
            quote!(&mut self)
        } else {
            quote!(&self)
        };
        let env_name = m
            .env
            .clone()
            .unwrap_or_else(|| Ident::new("_env", Span::call_site()));
        let env_ref = if m.method.env_mut() {
            quote!(&mut)
        } else {
            quote!(&)
        };
        let ret = match m.method.returns() {
            Some(ReturnType::Bool) => quote!(-> bool),
            Some(ReturnType::Scalar) => quote!(-> #prec),
            None => quote!(),
        };
        let attrs = &f.attrs;
        quote! {
            #(#attrs)*
            #[inline(always)]
            #[allow(unused_variables, unused_mut, clippy::all)]
            fn #ident(#recv, #env_name: #env_ref #core::model::#env_ty<#prec>) #ret #body
        }
    });
    let (lane_methods, lane_impl) = match kind {
        ModelKind::Neuron => neuron_lanes(state, methods, &prec),
        ModelKind::WeightUpdate => synapse_lanes(state, methods, &prec),
        _ => (None, None),
    };
    quote! {
        const _: () = {
            #[allow(dead_code, non_camel_case_types)]
            type Scalar = #prec;
            impl #core::model::#behaviour<#prec> for #state<#prec> { #( #fns )* #lane_methods }
            #lane_impl
        };
    }
}

/// The lane form of `m`'s body in precision `prec` (see [`crate::lanes`])
/// and the name of its environment parameter.
fn lower_lanes(
    m: &ParsedMethod,
    kind: crate::lanes::LaneEnv,
    prec: &TokenStream,
    spill: Option<&Ident>,
) -> std::result::Result<(TokenStream, Ident), crate::lanes::Unsupported> {
    let core = core_path();
    let lanes_path = quote!(#core::lanes);
    let scalar = syn::Ident::new(&prec.to_string(), Span::call_site());
    let mut body = m.fn_item.block.clone();
    crate::lanes::check_precision_free(&body)?;
    rewrite_scalar_paths(&mut body, &scalar);
    let lowered =
        crate::lanes::lane_body(&body, kind, m.env.as_ref(), &scalar, &lanes_path, spill)?;
    let mut block: syn::Block =
        syn::parse2(quote!({ #lowered })).map_err(|e| format!("lane form does not parse: {e}"))?;
    rewrite_elementary_calls(&mut block, &core);
    let env = m
        .env
        .clone()
        .unwrap_or_else(|| Ident::new("_env", Span::call_site()));
    Ok((block.to_token_stream(), env))
}

/// The lane form of a neuron model's `sim` and `threshold` in precision
/// `prec` (see [`crate::lanes`]): the `NeuronBehaviour` items that run it
/// and the lane state's methods; `None` when either method is outside the
/// lane subset (the backend then runs the scalar methods).
fn neuron_lanes(
    state: &Ident,
    methods: &[ParsedMethod],
    prec: &TokenStream,
) -> (Option<TokenStream>, Option<TokenStream>) {
    let core = core_path();
    let lanes_path = quote!(#core::lanes);
    // `__sim`'s flag: may its loops spill lanes (`snn_core::lanes::SPILL_AFTER`)?
    let spill = Ident::new("__spill", Span::mixed_site());
    let lower =
        |method: Method| -> std::result::Result<(TokenStream, Ident), crate::lanes::Unsupported> {
            let Some(m) = methods.iter().find(|m| m.method == method) else {
                // No method: nothing crosses, nothing spills.
                let body = quote!(#lanes_path::Mask::splat(false));
                return Ok((quote!({ #body }), Ident::new("_env", Span::call_site())));
            };
            let flag = (method == Method::Sim).then_some(&spill);
            lower_lanes(m, crate::lanes::LaneEnv::Neuron, prec, flag)
        };
    let sim = lower(Method::Sim).map_err(|why| format!("`sim` {why}"));
    let threshold = lower(Method::Threshold).map_err(|why| format!("`threshold` {why}"));
    let ((sim, sim_env), (threshold, thr_env)) = match (sim, threshold) {
        (Ok(sim), Ok(threshold)) => (sim, threshold),
        (Err(why), _) | (_, Err(why)) => {
            return (Some(quote!(const NO_LANES: &'static str = #why;)), None);
        }
    };
    let lane_state = crate::state::lane_state_ident(state);
    let env_ty = quote!(#lanes_path::NeuronLaneEnv<#prec>);
    let methods = quote! {
        const LANES: bool = true;
        #[inline(always)]
        fn sim_lanes(
            cols: &mut Self::Columns<'_>,
            base: usize,
            n: usize,
            env: &#env_ty,
            auto_refractory: bool,
        ) -> #lanes_path::LaneOutcome {
            let mut s = #lane_state::<#prec>::__load(cols, base, n);
            let (crossed, spilled) = s.__step(env, auto_refractory, true);
            if spilled.any() {
                s.__store_where(cols, base, n, !spilled);
            } else {
                s.__store(cols, base, n);
            }
            let lanes = u32::MAX >> (32 - n);
            #lanes_path::LaneOutcome {
                crossed: crossed.bits() & !spilled.bits() & lanes,
                spilled: spilled.bits() & lanes,
            }
        }
        #[inline(always)]
        fn sim_lanes_at(
            cols: &mut Self::Columns<'_>,
            at: &[usize],
            env: &#env_ty,
            auto_refractory: bool,
        ) -> u32 {
            let mut s = #lane_state::<#prec>::__gather(cols, at);
            let (crossed, _) = s.__step(env, auto_refractory, false);
            s.__scatter(cols, at);
            crossed.bits() & (u32::MAX >> (32 - at.len()))
        }
    };
    let lane_impl = quote! {
        impl #lane_state<#prec> {
            #[inline(always)]
            #[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
            fn __sim(&mut self, #sim_env: &#env_ty, #spill: bool) -> #lanes_path::Mask #sim
            #[inline(always)]
            #[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
            fn __threshold(&self, #thr_env: &#env_ty) -> #lanes_path::Mask #threshold
            /// `sim` and the threshold test: the lanes that crossed (and,
            /// with `auto_refractory`, were not above before) and those
            /// `sim` spilled (only with `spill`).
            #[inline(always)]
            fn __step(
                &mut self,
                env: &#env_ty,
                auto_refractory: bool,
                spill: bool,
            ) -> (#lanes_path::Mask, #lanes_path::Mask) {
                let was_above = if auto_refractory {
                    self.__threshold(env)
                } else {
                    #lanes_path::Mask::splat(false)
                };
                let spilled = self.__sim(env, spill);
                (#lanes_path::__and_not(self.__threshold(env), was_above), spilled)
            }
        }
    };
    (Some(methods), Some(lane_impl))
}

/// The lane form of a weight-update model's synapse code in precision
/// `prec` (`on_pre_spike`, `on_post_spike`, `on_pre_event`, each where it
/// is inside the lane subset): `WeightUpdateBehaviour::synapse_lanes`
/// and the lane state's methods; `None` when no method has one.
fn synapse_lanes(
    state: &Ident,
    methods: &[ParsedMethod],
    prec: &TokenStream,
) -> (Option<TokenStream>, Option<TokenStream>) {
    let core = core_path();
    let lane_state = crate::state::lane_state_ident(state);
    let (mut fns, mut arms, mut bits, mut why) = (Vec::new(), Vec::new(), Vec::new(), None);
    for method in [Method::OnPreSpike, Method::OnPostSpike, Method::OnPreEvent] {
        let Some(m) = methods.iter().find(|m| m.method == method) else {
            continue;
        };
        match lower_lanes(m, crate::lanes::LaneEnv::Synapse, prec, None) {
            Ok((body, env)) => {
                let f = format_ident!("__{}", method.name());
                let variant = format_ident!("{}", format!("{method:?}"));
                fns.push(quote! {
                    #[inline(always)]
                    #[allow(unused_variables, unused_mut, unused_parens, unused_braces, clippy::all)]
                    fn #f(&mut self, #env: &mut #core::lanes::SynapseLaneEnv<#prec>) #body
                });
                arms.push(quote!(#core::dsl::Method::#variant => s.#f(env),));
                bits.push(quote!(1 << #core::dsl::Method::#variant as u32));
            }
            Err(e) => {
                why.get_or_insert(format!("`{}` {e}", method.name()));
            }
        }
    }
    let no_lanes = why.map(|why| quote!(const NO_LANES: &'static str = #why;));
    if fns.is_empty() {
        return (no_lanes, None);
    }
    let lanes = quote!(#core::lanes);
    let methods = quote! {
        const LANE_METHODS: u32 = 0 #( | #bits )*;
        #no_lanes
        #[inline(always)]
        fn synapse_lanes(
            method: #core::dsl::Method,
            cols: &mut Self::Columns<'_>,
            src: &#core::model::StateSource<'_, '_, #prec>,
            group: &#lanes::LaneGroup<'_>,
            env: &mut #lanes::SynapseLaneEnv<#prec>,
        ) {
            let (pre, post) = (&group.pre, &group.post);
            let mut s = match group.at {
                #lanes::LaneAt::Run { base, n } => {
                    #lane_state::<#prec>::__load_syn(cols, src, base, n, pre, post)
                }
                #lanes::LaneAt::At(at) => #lane_state::<#prec>::__gather_syn(cols, src, at, pre, post),
            };
            match method {
                #( #arms )*
                _ => return,
            }
            if group.store {
                match group.at {
                    #lanes::LaneAt::Run { base, n } => s.__store(cols, base, n),
                    #lanes::LaneAt::At(at) => s.__scatter(cols, at),
                }
            }
        }
    };
    let lane_impl = quote!(impl #lane_state<#prec> { #( #fns )* });
    (Some(methods), Some(lane_impl))
}

/// Entry point shared by every model attribute: dispatches on struct / impl.
pub fn expand(kind: ModelKind, args: TokenStream, input: TokenStream) -> TokenStream {
    let result = match syn::parse2::<syn::Item>(input) {
        Ok(syn::Item::Struct(s)) => expand_struct(kind, args, s),
        Ok(syn::Item::Impl(i)) => expand_impl(kind, args, i),
        Ok(other) => Err(Error::new_spanned(
            other,
            format!(
                "#[{}] goes on the model struct and on its impl block",
                kind.attr_name()
            ),
        )),
        Err(e) => Err(e),
    };
    result.unwrap_or_else(Error::into_compile_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn struct_err(kind: ModelKind, src: TokenStream) -> String {
        let item: ItemStruct = syn::parse2(src).unwrap();
        match expand_struct(kind, TokenStream::new(), item) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn struct_expands_with_metadata_and_state() {
        let item: ItemStruct = syn::parse_quote! {
            pub struct Lif {
                #[param(positive)] tau_m: Scalar,
                #[derived((-dt / tau_m).exp())] decay: Scalar,
                #[var] v: Scalar,
                #[var] refrac: u8,
            }
        };
        let out = expand_struct(ModelKind::Neuron, TokenStream::new(), item)
            .unwrap()
            .to_string();
        assert!(
            out.contains("pub struct Lif { pub tau_m : f64 , }"),
            "{out}"
        );
        assert!(out.contains("struct __LifState < S : 'static >"), "{out}");
        assert!(
            out.contains("refrac : src . var :: < u8 > (1usize , i)"),
            "{out}"
        );
        assert!(out.contains("Constraint :: Positive"), "{out}");
        assert!(
            out.contains("let decay : f64 = (- dt / tau_m) . exp ()"),
            "{out}"
        );
    }

    #[test]
    fn unknown_and_misplaced_field_attributes_are_rejected() {
        let e = struct_err(
            ModelKind::Neuron,
            quote!(
                struct M {
                    #[parm]
                    a: Scalar,
                }
            ),
        );
        assert!(e.contains("unknown field attribute"), "{e}");
        let e = struct_err(
            ModelKind::Neuron,
            quote!(
                struct M {
                    #[neuron_var]
                    v: Scalar,
                }
            ),
        );
        assert!(
            e.contains("#[neuron_var] fields are not allowed in a neuron_model"),
            "{e}"
        );
        let e = struct_err(
            ModelKind::Neuron,
            quote!(
                struct M {
                    a: Scalar,
                }
            ),
        );
        assert!(e.contains("field `a` needs one of"), "{e}");
        let e = struct_err(
            ModelKind::Neuron,
            quote!(
                struct M {
                    #[var]
                    a: String,
                }
            ),
        );
        assert!(e.contains("field types must be one of"), "{e}");
        let e = struct_err(
            ModelKind::Neuron,
            quote!(
                struct M {
                    #[param(huge)]
                    a: Scalar,
                }
            ),
        );
        assert!(e.contains("unknown constraint"), "{e}");
        let e = struct_err(
            ModelKind::Neuron,
            quote!(
                struct M {
                    #[derived]
                    a: Scalar,
                }
            ),
        );
        assert!(e.contains("needs an expression"), "{e}");
        let e = struct_err(
            ModelKind::Postsynaptic,
            quote!(
                struct M {
                    #[var]
                    in_syn: Scalar,
                }
            ),
        );
        assert!(e.contains("reserved"), "{e}");
    }

    /// The compile errors of an impl expansion (which keeps stub trait impls on error).
    fn impl_err(kind: ModelKind, src: TokenStream) -> String {
        let item: ItemImpl = syn::parse2(src).unwrap();
        let out = match expand_impl(kind, TokenStream::new(), item) {
            Ok(out) => out.to_string(),
            Err(e) => e.to_string(),
        };
        assert!(out.contains("compile_error"), "expected an error: {out}");
        out
    }

    #[test]
    fn method_signatures_are_checked() {
        let e = impl_err(
            ModelKind::Neuron,
            quote!(impl M { fn simulate(&mut self, env: &mut NeuronEnv) {} }),
        );
        assert!(
            e.contains("`simulate` is not a method of a neuron_model"),
            "{e}"
        );
        let e = impl_err(
            ModelKind::Neuron,
            quote!(impl M { fn threshold(&mut self, env: &NeuronEnv) -> bool { true } }),
        );
        assert!(
            e.contains("expected signature `fn threshold(&self, env: &NeuronEnv) -> bool`"),
            "{e}"
        );
        let e = impl_err(
            ModelKind::Neuron,
            quote!(impl M { fn sim(&mut self, env: &mut WeightUpdateEnv) {} }),
        );
        assert!(e.contains("expected signature"), "{e}");
        let e = impl_err(ModelKind::VarInit, quote!(impl M {}));
        assert!(e.contains("must define `fn init"), "{e}");
    }

    #[test]
    fn impl_expands_to_ir_and_native_code_in_both_precisions() {
        let item: ItemImpl = syn::parse_quote! {
            impl M { fn sim(&mut self, env: &mut NeuronEnv) { self.v += env.dt(); } }
        };
        let out = expand_impl(ModelKind::Neuron, TokenStream::new(), item)
            .unwrap()
            .to_string();
        assert!(
            out.contains("NeuronBehaviour < f32 > for __MState < f32 >"),
            "{out}"
        );
        assert!(
            out.contains("NeuronBehaviour < f64 > for __MState < f64 >"),
            "{out}"
        );
        assert!(out.contains("field_access_ok"), "{out}");
        assert!(
            out.contains("method : :: snn :: snn_core :: dsl :: Method :: Sim"),
            "{out}"
        );
    }
}
