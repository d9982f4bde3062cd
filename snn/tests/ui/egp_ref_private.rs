// Views of extra global parameters are made by the backend only: outside
// code cannot fake one with a 'static lifetime.
use snn::snn_core::model::EgpRef;

fn main() {
    let data = vec![1.0f32, 2.0];
    let _view = unsafe { EgpRef::new(&data) };
}
