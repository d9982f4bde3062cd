//! The contract of the `snn` model DSL, in one place.
//!
//! A model is a Rust struct and an impl block under one of the model
//! attributes ([`ModelKind`]). The impl block defines some of the methods of
//! its kind ([`Method`]); their bodies may call methods on the environment
//! parameter ([`EnvCall`], each method its own set:
//! [`Method::env_calls`]) and float methods ([`MathFn`]). Everything else
//! is plain Rust of the translatable subset (`snn_core::ir`).
//!
//! The model macros (`snn-macros`) check user code against these enums and
//! emit IR holding them; the core (`snn-core`, which re-exports this crate
//! as `snn_core::dsl`), the CPU backend and the kernel generator match on
//! them. Names are compared as strings only here, in the `from_name`
//! functions that turn user code into the enums.
//!
//! ```
//! use snn_dsl::{EnvCall, MathFn, Method, ModelKind};
//!
//! let m = ModelKind::WeightUpdate.method("on_pre_spike").unwrap();
//! assert_eq!(m, Method::OnPreSpike);
//! assert_eq!(m.kind(), ModelKind::WeightUpdate);
//! assert!(m.may_call(EnvCall::AddToPost));
//! assert!(!Method::OnPostSpike.may_call(EnvCall::AddToPost));
//! assert_eq!(EnvCall::from_name("add_to_post_delay").map(EnvCall::arity), Some(2));
//! assert!(EnvCall::RandPoisson.is_random());
//! assert_eq!(MathFn::from_name("powf"), Some(MathFn::Powf));
//! assert_eq!(MathFn::Clamp.arity(), 2);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Defines a fieldless enum whose variants have a name in model code, with
/// `ALL`, `name`, `from_name` and `Display` (the name). Defined before the
/// modules, which use it by textual scope.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $ty:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $name:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $ty {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[ $( $ty::$variant, )* ];

            /// The name as written in model code.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $ty::$variant => $name, )*
                }
            }

            /// The variant with this name in model code, if any.
            pub fn from_name(name: &str) -> Option<$ty> {
                match name {
                    $( $name => Some($ty::$variant), )*
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

mod env;
mod kind;
mod math;
mod method;

pub use env::EnvCall;
pub use kind::ModelKind;
pub use math::MathFn;
pub use method::{Method, ReturnType};
