//! Generation of a model's per-element state struct (`__LifState<S>`), its
//! typed columns and its `StateIo` implementation, field by field.

use crate::kinds::{FieldAttr, ModelKind};
use crate::model::Field;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;

/// The Rust element type of a field type (`Scalar` is the precision `S`).
fn elem_ty(ty: &str) -> TokenStream {
    if ty == "Scalar" {
        quote!(S)
    } else {
        let id = format_ident!("{}", ty);
        quote!(#id)
    }
}

/// How one field is read: its type in the state struct and its loads in
/// the plain, synapse, presynaptic and postsynaptic views.
struct FieldLoads {
    field_ty: TokenStream,
    load: TokenStream,
    syn: TokenStream,
    pre: TokenStream,
    post: TokenStream,
}

/// The pieces of the state struct and of `StateIo`, collected field by field.
pub(crate) struct StateGen {
    core: TokenStream,
    state_fields: Vec<TokenStream>,
    loads: Vec<TokenStream>,
    stores: Vec<TokenStream>,
    /// `StateIo::columns`: the template's loads (parameters and EGPs; the
    /// rest default), the typed column fields, how they are resolved, and
    /// the per-element reads and writes.
    template_loads: Vec<TokenStream>,
    col_fields: Vec<TokenStream>,
    col_inits: Vec<TokenStream>,
    col_loads: Vec<TokenStream>,
    col_stores: Vec<TokenStream>,
    /// The `FieldDesc` of every field.
    pub(crate) descs: Vec<TokenStream>,
    /// Weight-update views (see `StateIo`): `src.pre` holds the pre vars
    /// then the pre neuron references; `src.post` likewise.
    syn_loads: Vec<TokenStream>,
    syn_col_loads: Vec<TokenStream>,
    pre_loads: Vec<TokenStream>,
    post_loads: Vec<TokenStream>,
    pre_stores: Vec<TokenStream>,
    post_stores: Vec<TokenStream>,
    /// Fields of each kind seen so far.
    n_param: usize,
    n_var: usize,
    n_ref: usize,
    n_egp: usize,
    n_pre: usize,
    n_post: usize,
    n_pre_ref: usize,
    n_post_ref: usize,
    /// How many `#[pre_var]`s / `#[post_var]`s the model has.
    n_pre_vars: usize,
    n_post_vars: usize,
    /// Neuron and weight-update models: the lane state's fields (see
    /// `crate::lanes`) and their loads from and stores into the columns.
    lane_fields: Vec<TokenStream>,
    lane_loads: Vec<TokenStream>,
    lane_stores: Vec<TokenStream>,
    lane_stores_where: Vec<TokenStream>,
    lane_gathers: Vec<TokenStream>,
    lane_scatters: Vec<TokenStream>,
    /// Weight-update models: the lane loads of presynaptic and
    /// postsynaptic fields, one neuron per lane.
    lane_side_loads: Vec<TokenStream>,
}

impl StateGen {
    /// The state of a model of `kind` whose fields are `fields` (in
    /// declaration order), laid out parameters first, then derived
    /// parameters, variables, EGPs and references.
    pub(crate) fn new(core: TokenStream, kind: ModelKind, fields: &[Field]) -> StateGen {
        let of = |a: FieldAttr| fields.iter().filter(move |f| f.attr == a);
        let precision = quote!(__precision: ::core::marker::PhantomData);
        let mut g = StateGen {
            core,
            state_fields: vec![quote!(pub __precision: ::core::marker::PhantomData<S>)],
            loads: vec![precision.clone()],
            stores: Vec::new(),
            template_loads: vec![precision.clone()],
            col_fields: Vec::new(),
            col_inits: Vec::new(),
            col_loads: Vec::new(),
            col_stores: Vec::new(),
            descs: Vec::new(),
            syn_loads: vec![precision.clone()],
            syn_col_loads: vec![precision.clone()],
            pre_loads: vec![precision.clone()],
            post_loads: vec![precision],
            pre_stores: Vec::new(),
            post_stores: Vec::new(),
            n_param: 0,
            n_var: 0,
            n_ref: 0,
            n_egp: 0,
            n_pre: 0,
            n_post: 0,
            n_pre_ref: 0,
            n_post_ref: 0,
            n_pre_vars: of(FieldAttr::PreVar).count(),
            n_post_vars: of(FieldAttr::PostVar).count(),
            lane_fields: Vec::new(),
            lane_loads: Vec::new(),
            lane_stores: Vec::new(),
            lane_stores_where: Vec::new(),
            lane_gathers: Vec::new(),
            lane_scatters: Vec::new(),
            lane_side_loads: Vec::new(),
        };
        if kind == ModelKind::Postsynaptic {
            g.add_in_syn();
        }
        let ordered = [
            FieldAttr::Param,
            FieldAttr::Derived,
            FieldAttr::Var,
            FieldAttr::Egp,
            FieldAttr::NeuronVar,
            FieldAttr::Input,
            FieldAttr::PreVar,
            FieldAttr::PostVar,
            FieldAttr::PreNeuronVar,
            FieldAttr::PostNeuronVar,
        ];
        for attr in ordered {
            for f in of(attr) {
                g.add_field(f);
            }
        }
        g
    }

    /// The implicit `in_syn` of postsynaptic models (variable 0).
    fn add_in_syn(&mut self) {
        let core = &self.core;
        let default = quote!(::core::default::Default::default());
        self.state_fields.push(quote!(pub in_syn: S));
        self.loads.push(quote!(in_syn: src.var::<S>(0, i)));
        self.stores
            .push(quote!(<S as #core::var::VarElem>::set(&mut vars[0], i, self.in_syn);));
        self.template_loads.push(quote!(in_syn: #default));
        self.col_fields.push(quote!(in_syn: &'c mut [S]));
        self.col_inits.push(quote!(in_syn: <S as #core::var::VarElem>::column(vars.next().expect("in_syn column"), len)));
        self.col_loads.push(quote!(s.in_syn = cols.in_syn[i];));
        self.col_stores.push(quote!(cols.in_syn[i] = self.in_syn;));
        self.descs.push(quote!(#core::model::FieldDesc {
            name: "in_syn", kind: #core::model::FieldKind::InSyn,
            ty: #core::ir::IrType::Scalar, constraint: #core::model::Constraint::Finite,
            bind: "in_syn",
        }));
        self.n_var = 1;
    }

    /// Adds field `f` to every piece.
    fn add_field(&mut self, f: &Field) {
        let core = self.core.clone();
        let fname = &f.name;
        let l = self.field_loads(f);
        self.add_columns(f, &l.load);
        let fk = format_ident!("{}", f.attr.field_kind());
        let ty_ident = format_ident!("{}", f.ty_variant());
        let constraint = format_ident!("{}", f.constraint);
        let name_str = fname.to_string();
        let bind_str = f.bind.as_ref().unwrap_or(fname).to_string();
        let (field_ty, load, syn) = (&l.field_ty, &l.load, &l.syn);
        self.state_fields.push(quote!(pub #fname: #field_ty));
        self.loads.push(quote!(#fname: #load));
        self.syn_loads.push(quote!(#fname: #syn));
        self.syn_col_loads.push(match f.attr {
            FieldAttr::Param | FieldAttr::Derived | FieldAttr::Egp => {
                quote!(#fname: cols.template.#fname)
            }
            FieldAttr::Var => quote!(#fname: cols.#fname[i]),
            _ => quote!(#fname: #syn),
        });
        if matches!(
            f.attr,
            FieldAttr::PreVar
                | FieldAttr::PostVar
                | FieldAttr::PreNeuronVar
                | FieldAttr::PostNeuronVar
        ) {
            let t = elem_ty(&f.ty);
            self.lane_fields
                .push(quote!(pub #fname: #core::lanes::Lanes<#t>));
            self.lane_side_loads
                .push(quote!(#fname: #core::lanes::Lanes(
                    ::core::array::from_fn(|__l| { let (pre, post) = (pre[__l], post[__l]); #syn })
                )));
        }
        let (pre, post) = (&l.pre, &l.post);
        self.pre_loads.push(quote!(#fname: #pre));
        self.post_loads.push(quote!(#fname: #post));
        self.descs.push(quote!(#core::model::FieldDesc {
            name: #name_str, kind: #core::model::FieldKind::#fk,
            ty: #core::ir::IrType::#ty_ident, constraint: #core::model::Constraint::#constraint,
            bind: #bind_str,
        }));
    }

    /// Field `f`'s type and loads in each view (and the stores of the
    /// variables it owns).
    fn field_loads(&mut self, f: &Field) -> FieldLoads {
        let core = self.core.clone();
        let fname = &f.name;
        let t = elem_ty(&f.ty);
        let default = quote!(::core::default::Default::default());
        let store =
            |k: usize| quote!(<#t as #core::var::VarElem>::set(&mut vars[#k], i, self.#fname););
        let all = |field_ty: TokenStream, l: TokenStream| FieldLoads {
            field_ty,
            load: l.clone(),
            syn: l.clone(),
            pre: l.clone(),
            post: l,
        };
        let one =
            |load: TokenStream, syn: TokenStream, pre: TokenStream, post: TokenStream| FieldLoads {
                field_ty: t.clone(),
                load,
                syn,
                pre,
                post,
            };
        match f.attr {
            FieldAttr::Param | FieldAttr::Derived => {
                let k = next(&mut self.n_param);
                all(quote!(S), quote!(src.params[#k]))
            }
            FieldAttr::Var => {
                let k = next(&mut self.n_var);
                self.stores.push(store(k));
                let l = quote!(src.var::<#t>(#k, i));
                one(l.clone(), l, default.clone(), default)
            }
            FieldAttr::Egp => {
                let k = next(&mut self.n_egp);
                all(quote!(#core::model::EgpRef<S>), quote!(src.egps[#k]))
            }
            // Neuron models have no neuron references: their `src.refs` are
            // the input ports.
            FieldAttr::NeuronVar | FieldAttr::Input => {
                let k = next(&mut self.n_ref);
                let l = quote!(src.neuron_var::<#t>(#k, i));
                one(l.clone(), l, default.clone(), default)
            }
            FieldAttr::PreVar => {
                let k = next(&mut self.n_pre);
                self.pre_stores.push(store(k));
                let own = quote!(src.var::<#t>(#k, i));
                one(
                    default.clone(),
                    quote!(src.pre_var::<#t>(#k, pre)),
                    own,
                    default,
                )
            }
            FieldAttr::PostVar => {
                let k = next(&mut self.n_post);
                self.post_stores.push(store(k));
                let own = quote!(src.var::<#t>(#k, i));
                one(
                    default.clone(),
                    quote!(src.post_var::<#t>(#k, post)),
                    default,
                    own,
                )
            }
            FieldAttr::PreNeuronVar => {
                let k = next(&mut self.n_pre_ref);
                let j = self.n_pre_vars + k;
                let own = quote!(src.neuron_var::<#t>(#k, i));
                one(
                    default.clone(),
                    quote!(src.pre_var::<#t>(#j, pre)),
                    own,
                    default,
                )
            }
            FieldAttr::PostNeuronVar => {
                let k = next(&mut self.n_post_ref);
                let j = self.n_post_vars + k;
                let own = quote!(src.neuron_var::<#t>(#k, i));
                one(
                    default.clone(),
                    quote!(src.post_var::<#t>(#j, post)),
                    default,
                    own,
                )
            }
        }
    }

    /// Field `f`'s part of the typed columns (`load`: its plain load).
    fn add_columns(&mut self, f: &Field, load: &TokenStream) {
        let core = &self.core;
        let fname = &f.name;
        let t = elem_ty(&f.ty);
        let default = quote!(::core::default::Default::default());
        let lanes = quote!(#core::lanes::Lanes);
        match f.attr {
            FieldAttr::Param | FieldAttr::Derived => {
                self.lane_fields.push(quote!(pub #fname: #lanes<S>));
                self.lane_loads
                    .push(quote!(#fname: #lanes::splat(cols.template.#fname)));
                self.lane_gathers
                    .push(quote!(#fname: #lanes::splat(cols.template.#fname)));
            }
            FieldAttr::Var | FieldAttr::NeuronVar | FieldAttr::Input => {
                self.lane_fields.push(quote!(pub #fname: #lanes<#t>));
                self.lane_loads
                    .push(quote!(#fname: #lanes::load(&*cols.#fname, base, n, cols.#fname[base])));
                self.lane_gathers
                    .push(quote!(#fname: #lanes::gather(&*cols.#fname, at)));
                if f.attr == FieldAttr::Var {
                    self.lane_stores
                        .push(quote!(self.#fname.store(&mut *cols.#fname, base, n);));
                    self.lane_stores_where
                        .push(quote!(self.#fname.store_where(&mut *cols.#fname, base, n, keep);));
                    self.lane_scatters
                        .push(quote!(self.#fname.scatter(&mut *cols.#fname, at);));
                }
            }
            _ => {}
        }
        match f.attr {
            FieldAttr::Param | FieldAttr::Derived | FieldAttr::Egp => {
                self.template_loads.push(quote!(#fname: #load));
            }
            FieldAttr::Var => {
                self.template_loads.push(quote!(#fname: #default));
                self.col_fields.push(quote!(#fname: &'c mut [#t]));
                self.col_inits
                    .push(quote!(#fname: <#t as #core::var::VarElem>::column(
                    vars.next().expect("variable column"), len)));
                self.col_loads.push(quote!(s.#fname = cols.#fname[i];));
                self.col_stores.push(quote!(cols.#fname[i] = self.#fname;));
            }
            FieldAttr::NeuronVar | FieldAttr::Input => {
                self.template_loads.push(quote!(#fname: #default));
                self.col_fields.push(quote!(#fname: &'c [#t]));
                self.col_inits
                    .push(quote!(#fname: <#t as #core::var::VarElem>::column_ref(
                    refs.next().expect("reference column"), len)));
                self.col_loads.push(quote!(s.#fname = cols.#fname[i];));
            }
            _ => self.template_loads.push(quote!(#fname: #default)),
        }
    }

    /// The state struct, its columns struct and `impl StateIo` (with the
    /// weight-update views for `kind == WeightUpdate`).
    pub(crate) fn emit(
        &self,
        kind: ModelKind,
        vis: &syn::Visibility,
        state: &Ident,
    ) -> TokenStream {
        let core = &self.core;
        let cols = format_ident!("{}Columns", state);
        let (state_fields, col_fields) = (&self.state_fields, &self.col_fields);
        let state_io = self.state_io(kind, &cols);
        let lanes = match kind {
            ModelKind::Neuron => Some(self.lane_state(vis, state, &cols)),
            ModelKind::WeightUpdate => Some(self.synapse_lane_state(vis, state, &cols)),
            _ => None,
        };
        quote! {
            #lanes
            #[doc(hidden)]
            #[allow(dead_code, non_camel_case_types)]
            #[derive(Clone, Copy, Debug)]
            #vis struct #state<S: 'static> { #( #state_fields, )* }

            #[doc(hidden)]
            #[allow(dead_code, non_camel_case_types)]
            #vis struct #cols<'c, S: 'static> {
                template: #state<S>,
                __columns: ::core::marker::PhantomData<&'c ()>,
                #( #col_fields, )*
            }

            impl<S: #core::Real> #core::model::StateIo<S> for #state<S> {
                type Columns<'c> = #cols<'c, S>;
                #state_io
            }
        }
    }

    /// Neuron models: the lane state `__LifLanes<S>` (parameters as
    /// splats, variables and inputs as lanes of [`crate::lanes::WIDTH`]
    /// consecutive neurons) with its loads from and stores into the columns.
    fn lane_state(&self, vis: &syn::Visibility, state: &Ident, cols: &Ident) -> TokenStream {
        let core = &self.core;
        let name = lane_state_ident(state);
        let (fields, loads, stores) = (&self.lane_fields, &self.lane_loads, &self.lane_stores);
        let (gathers, scatters) = (&self.lane_gathers, &self.lane_scatters);
        let stores_where = &self.lane_stores_where;
        quote! {
            #[doc(hidden)]
            #[allow(dead_code, non_camel_case_types)]
            #[derive(Clone, Copy, Debug)]
            #vis struct #name<S: 'static> { #( #fields, )* __precision: ::core::marker::PhantomData<S> }

            #[allow(dead_code)]
            impl<S: #core::Real> #name<S> {
                /// Neurons `base..base + n` of `cols` (`1 <= n <= WIDTH`).
                #[inline(always)]
                #[allow(unused_variables)]
                fn __load(cols: &#cols<'_, S>, base: usize, n: usize) -> Self {
                    Self { #( #loads, )* __precision: ::core::marker::PhantomData }
                }
                /// Writes the variables of neurons `base..base + n` back.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __store(&self, cols: &mut #cols<'_, S>, base: usize, n: usize) {
                    #( #stores )*
                }
                /// Writes the variables of neurons `base + l` back for the
                /// lanes `l < n` set in `keep`.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __store_where(
                    &self,
                    cols: &mut #cols<'_, S>,
                    base: usize,
                    n: usize,
                    keep: #core::lanes::Mask,
                ) {
                    #( #stores_where )*
                }
                /// Neurons `at` of `cols` (`1 <= at.len() <= WIDTH`).
                #[inline(always)]
                #[allow(unused_variables)]
                fn __gather(cols: &#cols<'_, S>, at: &[usize]) -> Self {
                    Self { #( #gathers, )* __precision: ::core::marker::PhantomData }
                }
                /// Writes the variables of neurons `at` back.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __scatter(&self, cols: &mut #cols<'_, S>, at: &[usize]) {
                    #( #scatters )*
                }
            }
        }
    }

    /// Weight-update models: the lane state `__StdpStateLanes<S>`
    /// (parameters as splats, synapse variables and the presynaptic and
    /// postsynaptic fields as lanes of one synapse each) with its loads
    /// from and stores into the columns.
    fn synapse_lane_state(
        &self,
        vis: &syn::Visibility,
        state: &Ident,
        cols: &Ident,
    ) -> TokenStream {
        let core = &self.core;
        let name = lane_state_ident(state);
        let (fields, loads, stores) = (&self.lane_fields, &self.lane_loads, &self.lane_stores);
        let (gathers, scatters) = (&self.lane_gathers, &self.lane_scatters);
        let sides = &self.lane_side_loads;
        let ids = quote!(&[usize; #core::lanes::WIDTH]);
        let src = quote!(&#core::model::StateSource<'_, '_, S>);
        quote! {
            #[doc(hidden)]
            #[allow(dead_code, non_camel_case_types)]
            #[derive(Clone, Copy, Debug)]
            #vis struct #name<S: 'static> { #( #fields, )* __precision: ::core::marker::PhantomData<S> }

            #[allow(dead_code)]
            impl<S: #core::Real> #name<S> {
                /// Synapses `base..base + n` of `cols` (`1 <= n <= WIDTH`),
                /// lane `l` from neuron `pre[l]` to `post[l]`.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __load_syn(cols: &#cols<'_, S>, src: #src, base: usize, n: usize, pre: #ids, post: #ids) -> Self {
                    Self { #( #loads, )* #( #sides, )* __precision: ::core::marker::PhantomData }
                }
                /// Writes the variables of synapses `base..base + n` back.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __store(&self, cols: &mut #cols<'_, S>, base: usize, n: usize) {
                    #( #stores )*
                }
                /// Synapses `at` of `cols` (`1 <= at.len() <= WIDTH`), as `__load_syn`.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __gather_syn(cols: &#cols<'_, S>, src: #src, at: &[usize], pre: #ids, post: #ids) -> Self {
                    Self { #( #gathers, )* #( #sides, )* __precision: ::core::marker::PhantomData }
                }
                /// Writes the variables of synapses `at` back.
                #[inline(always)]
                #[allow(unused_variables)]
                fn __scatter(&self, cols: &mut #cols<'_, S>, at: &[usize]) {
                    #( #scatters )*
                }
            }
        }
    }

    /// The methods of `impl StateIo` (`cols`: the columns struct).
    fn state_io(&self, kind: ModelKind, cols: &Ident) -> TokenStream {
        let core = &self.core;
        let (loads, stores) = (&self.loads, &self.stores);
        let (template_loads, col_inits) = (&self.template_loads, &self.col_inits);
        let (col_loads, col_stores) = (&self.col_loads, &self.col_stores);
        // Only weight-update models have a synapse view distinct from `load`.
        let (load_synapse_at, views) = if kind == ModelKind::WeightUpdate {
            let syn_col_loads = &self.syn_col_loads;
            (quote!(Self { #( #syn_col_loads, )* }), Some(self.views()))
        } else {
            (quote!(Self::load_at(cols, i)), None)
        };
        quote! {
            #[inline(always)]
            #[allow(unused_variables)]
            fn load(src: &#core::model::StateSource<'_, '_, S>, i: usize) -> Self {
                Self { #( #loads, )* }
            }
            #[inline(always)]
            #[allow(unused_variables, unused_mut)]
            fn columns<'c>(
                params: &[S],
                egps: &[#core::model::EgpRef<S>],
                vars: &'c mut [#core::var::VarSliceMut<'_>],
                refs: &'c [#core::var::VarSlice<'_>],
                len: usize,
            ) -> Self::Columns<'c> {
                let src = #core::model::StateSource {
                    params, vars: &[], refs: &[], egps, pre: &[], post: &[],
                };
                let template = Self { #( #template_loads, )* };
                let mut vars = vars.iter_mut();
                let mut refs = refs.iter();
                #cols { template, __columns: ::core::marker::PhantomData, #( #col_inits, )* }
            }
            #[inline(always)]
            #[allow(unused_variables, unused_mut)]
            fn load_at(cols: &Self::Columns<'_>, i: usize) -> Self {
                let mut s = cols.template;
                #( #col_loads )*
                s
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn load_synapse_at(
                cols: &Self::Columns<'_>,
                src: &#core::model::StateSource<'_, '_, S>,
                i: usize,
                pre: usize,
                post: usize,
            ) -> Self {
                #load_synapse_at
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn store_at(&self, cols: &mut Self::Columns<'_>, i: usize) {
                #( #col_stores )*
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn store(&self, vars: &mut [#core::var::VarSliceMut<'_>], i: usize) {
                #( #stores )*
            }
            #views
        }
    }

    /// The synapse, presynaptic and postsynaptic views of weight-update models.
    fn views(&self) -> TokenStream {
        let core = &self.core;
        let (syn_loads, pre_loads, post_loads) =
            (&self.syn_loads, &self.pre_loads, &self.post_loads);
        let (pre_stores, post_stores) = (&self.pre_stores, &self.post_stores);
        quote! {
            #[inline(always)]
            #[allow(unused_variables)]
            fn load_synapse(src: &#core::model::StateSource<'_, '_, S>, i: usize, pre: usize, post: usize) -> Self {
                Self { #( #syn_loads, )* }
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn load_pre(src: &#core::model::StateSource<'_, '_, S>, i: usize) -> Self {
                Self { #( #pre_loads, )* }
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn load_post(src: &#core::model::StateSource<'_, '_, S>, i: usize) -> Self {
                Self { #( #post_loads, )* }
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn store_pre(&self, vars: &mut [#core::var::VarSliceMut<'_>], i: usize) {
                #( #pre_stores )*
            }
            #[inline(always)]
            #[allow(unused_variables)]
            fn store_post(&self, vars: &mut [#core::var::VarSliceMut<'_>], i: usize) {
                #( #post_stores )*
            }
        }
    }
}

/// The lane state of a neuron or weight-update model's state struct
/// (`__LifState` gives `__LifStateLanes`).
pub(crate) fn lane_state_ident(state: &Ident) -> Ident {
    format_ident!("{}Lanes", state)
}

/// `*counter`, then counts it up.
fn next(counter: &mut usize) -> usize {
    *counter += 1;
    *counter - 1
}
