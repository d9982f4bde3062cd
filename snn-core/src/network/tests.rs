//! Unit tests of `network`.

use super::builders::{check_count, check_vars};
use super::*;
use crate::model::{Constraint, FieldDesc, ModelKind};

#[test]
fn a_network_holds_at_most_65536_parts_of_a_kind() {
    assert!(check_count("populations", MAX_GROUPS - 1).is_ok());
    let e = check_count("populations", MAX_GROUPS).unwrap_err();
    assert!(matches!(
        e,
        Error::LimitExceeded {
            got: 65_537,
            limit: 65_536,
            ..
        }
    ));
    assert!(e
        .to_string()
        .starts_with("the network's populations: 65537 exceeds"));
}

const PRE_VAR: FieldDesc = FieldDesc {
    name: "x",
    kind: FieldKind::PreVar,
    ty: IrType::Scalar,
    constraint: Constraint::Finite,
    bind: "x",
};
static SEVENTEEN: [FieldDesc; 17] = [PRE_VAR; 17];
static WIDE: ModelDesc = ModelDesc {
    name: "Wide",
    kind: ModelKind::WeightUpdate,
    fields: &SEVENTEEN,
    methods: &[],
    auto_refractory: false,
};

#[test]
fn model_variables_must_fit_their_stream_range() {
    let ok = check_vars("g", &WIDE, FieldKind::Var, VarInitRange::WeightUpdate);
    assert!(ok.is_ok(), "no #[var]s");
    let e = check_vars("g", &WIDE, FieldKind::PreVar, VarInitRange::WeightUpdatePre);
    let msg = e.unwrap_err().to_string();
    assert!(
        msg.contains("the `#[pre_var]`s of model `Wide`: 17 exceeds the limit of 16"),
        "{msg}"
    );
}
