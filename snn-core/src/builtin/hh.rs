//! Placeholder (being written).

/// Metadata of the models in this module.
pub(crate) fn models() -> Vec<&'static crate::model::ModelDesc> {
    vec![]
}
