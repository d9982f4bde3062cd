//! Short lists of variable views built every step without allocating:
//! a block's update passes its variables to model code as slices of
//! [`VarSlice`] / [`VarSliceMut`], a handful per call. Collecting them into
//! a `Vec` each time cost two dozen allocations per step, a visible share
//! of a small network's step.

use snn_core::var::{VarArray, VarSlice, VarSliceMut};

/// Views held on the stack before [`collect_few`] moves to the heap.
pub(crate) const FEW: usize = 8;

/// Room for [`FEW`] views on the stack, and a heap list for more (empty
/// until needed; a `Vec` allocates only when it grows).
pub(crate) struct Few<T> {
    stack: [T; FEW],
    heap: Vec<T>,
}

impl<'a> Few<VarSlice<'a>> {
    /// Room for read-only views.
    pub(crate) fn slices() -> Self {
        Few {
            stack: [VarSlice::F32(&[]); FEW],
            heap: Vec::new(),
        }
    }
}

impl<'a> Few<VarSliceMut<'a>> {
    /// Room for writable views.
    pub(crate) fn slices_mut() -> Self {
        Few {
            stack: std::array::from_fn(|_| VarSliceMut::F32(&mut [])),
            heap: Vec::new(),
        }
    }
}

impl<T> Few<T> {
    /// `items` as a slice: on the stack when they fit, else in the heap list.
    pub(crate) fn collect(&mut self, items: impl ExactSizeIterator<Item = T>) -> &mut [T] {
        let n = items.len();
        if n <= FEW {
            for (slot, x) in self.stack.iter_mut().zip(items) {
                *slot = x;
            }
            &mut self.stack[..n]
        } else {
            self.heap.clear();
            self.heap.extend(items);
            &mut self.heap
        }
    }
}

/// Writable views of whole variable arrays (as `slices_mut`, into `room`).
pub(crate) fn views_mut<'a, 'r>(
    room: &'r mut Few<VarSliceMut<'a>>,
    vars: &'a mut [VarArray],
) -> &'r mut [VarSliceMut<'a>] {
    room.collect(vars.iter_mut().map(|v| {
        let n = v.len();
        v.slice_mut(0..n)
    }))
}

/// Read-only views of whole variable arrays, into `room`.
pub(crate) fn views<'a, 'r>(
    room: &'r mut Few<VarSlice<'a>>,
    vars: &'a [VarArray],
) -> &'r [VarSlice<'a>] {
    room.collect(vars.iter().map(|v| v.slice()))
}
