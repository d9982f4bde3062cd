//! Storage of state variables: one typed array per variable (struct of arrays).

use crate::ir::IrType;
use crate::real::{Precision, Real};

/// One variable's values for all elements of a population or synapse group.
#[derive(Clone, Debug, PartialEq)]
pub enum VarArray {
    /// `f32` values.
    F32(Vec<f32>),
    /// `f64` values.
    F64(Vec<f64>),
    /// `i32` values.
    I32(Vec<i32>),
    /// `u32` values.
    U32(Vec<u32>),
    /// `i64` values.
    I64(Vec<i64>),
    /// `u64` values.
    U64(Vec<u64>),
    /// `u8` values.
    U8(Vec<u8>),
    /// `u16` values.
    U16(Vec<u16>),
    /// `bool` values.
    Bool(Vec<bool>),
}

/// A read-only slice of a [`VarArray`].
#[derive(Clone, Copy, Debug)]
pub enum VarSlice<'a> {
    /// `f32`
    F32(&'a [f32]),
    /// `f64`
    F64(&'a [f64]),
    /// `i32`
    I32(&'a [i32]),
    /// `u32`
    U32(&'a [u32]),
    /// `i64`
    I64(&'a [i64]),
    /// `u64`
    U64(&'a [u64]),
    /// `u8`
    U8(&'a [u8]),
    /// `u16`
    U16(&'a [u16]),
    /// `bool`
    Bool(&'a [bool]),
}

/// A mutable slice of a [`VarArray`].
#[derive(Debug)]
pub enum VarSliceMut<'a> {
    /// `f32`
    F32(&'a mut [f32]),
    /// `f64`
    F64(&'a mut [f64]),
    /// `i32`
    I32(&'a mut [i32]),
    /// `u32`
    U32(&'a mut [u32]),
    /// `i64`
    I64(&'a mut [i64]),
    /// `u64`
    U64(&'a mut [u64]),
    /// `u8`
    U8(&'a mut [u8]),
    /// `u16`
    U16(&'a mut [u16]),
    /// `bool`
    Bool(&'a mut [bool]),
}

/// An element type of a [`VarArray`].
pub trait VarElem: Copy + Send + Sync + 'static {
    /// Reads element `i` (panics on a type mismatch: a backend bug).
    fn get(s: &VarSlice<'_>, i: usize) -> Self;
    /// Reads element `i` of a mutable slice.
    fn get_mut(s: &VarSliceMut<'_>, i: usize) -> Self;
    /// Writes element `i`.
    fn set(s: &mut VarSliceMut<'_>, i: usize, v: Self);
    /// The whole array as a typed slice (panics on a type mismatch: a backend bug).
    fn slice_mut(a: &mut VarArray) -> &mut [Self];
    /// The first `len` elements as a typed slice (panics on a type mismatch
    /// or a shorter slice: a backend bug).
    fn column<'c>(s: &'c mut VarSliceMut<'_>, len: usize) -> &'c mut [Self];
    /// The first `len` elements of a read-only slice.
    fn column_ref<'c>(s: &'c VarSlice<'_>, len: usize) -> &'c [Self];
}

macro_rules! var_elem {
    ($($t:ty => $v:ident;)*) => {$(
        impl VarElem for $t {
            #[inline(always)]
            fn get(s: &VarSlice<'_>, i: usize) -> Self {
                match s { VarSlice::$v(a) => a[i], _ => type_mismatch(stringify!($t)) }
            }
            #[inline(always)]
            fn get_mut(s: &VarSliceMut<'_>, i: usize) -> Self {
                match s { VarSliceMut::$v(a) => a[i], _ => type_mismatch(stringify!($t)) }
            }
            #[inline(always)]
            fn set(s: &mut VarSliceMut<'_>, i: usize, v: Self) {
                match s { VarSliceMut::$v(a) => a[i] = v, _ => type_mismatch(stringify!($t)) }
            }
            #[inline(always)]
            fn column<'c>(s: &'c mut VarSliceMut<'_>, len: usize) -> &'c mut [Self] {
                match s { VarSliceMut::$v(a) => &mut a[..len], _ => type_mismatch(stringify!($t)) }
            }
            #[inline(always)]
            fn column_ref<'c>(s: &'c VarSlice<'_>, len: usize) -> &'c [Self] {
                match s { VarSlice::$v(a) => &a[..len], _ => type_mismatch(stringify!($t)) }
            }
            #[inline(always)]
            fn slice_mut(a: &mut VarArray) -> &mut [Self] {
                match a { VarArray::$v(a) => a, _ => type_mismatch(stringify!($t)) }
            }
        }
    )*};
}

var_elem! {
    f32 => F32;
    f64 => F64;
    i32 => I32;
    u32 => U32;
    i64 => I64;
    u64 => U64;
    u8 => U8;
    u16 => U16;
    bool => Bool;
}

#[cold]
#[inline(never)]
fn type_mismatch(t: &str) -> ! {
    panic!("internal error: variable storage is not of type {t}")
}

macro_rules! each_variant {
    ($value:expr, $a:ident => $body:expr) => {
        match $value {
            VarArray::F32($a) => $body,
            VarArray::F64($a) => $body,
            VarArray::I32($a) => $body,
            VarArray::U32($a) => $body,
            VarArray::I64($a) => $body,
            VarArray::U64($a) => $body,
            VarArray::U8($a) => $body,
            VarArray::U16($a) => $body,
            VarArray::Bool($a) => $body,
        }
    };
}

/// Where a block's first few variable columns start, kept to prefetch
/// them while the columns themselves are borrowed elsewhere.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnPrefetch {
    /// `(address, length, element size)` of each column.
    cols: [(usize, usize, usize); Self::MAX],
    n: usize,
}

impl ColumnPrefetch {
    /// Columns covered (the rest are not prefetched).
    const MAX: usize = 4;

    /// The first [`MAX`](Self::MAX) columns of `vars`.
    pub(crate) fn new(vars: &[VarSliceMut<'_>]) -> ColumnPrefetch {
        fn col<T>(a: &[T]) -> (usize, usize, usize) {
            (a.as_ptr() as usize, a.len(), std::mem::size_of::<T>())
        }
        let mut cols = [(0, 0, 0); Self::MAX];
        for (c, v) in cols.iter_mut().zip(vars) {
            *c = match v {
                VarSliceMut::F32(a) => col(a),
                VarSliceMut::F64(a) => col(a),
                VarSliceMut::I32(a) => col(a),
                VarSliceMut::U32(a) => col(a),
                VarSliceMut::I64(a) => col(a),
                VarSliceMut::U64(a) => col(a),
                VarSliceMut::U8(a) => col(a),
                VarSliceMut::U16(a) => col(a),
                VarSliceMut::Bool(a) => col(a),
            };
        }
        ColumnPrefetch {
            cols,
            n: vars.len().min(Self::MAX),
        }
    }

    /// Hints the CPU to bring element `i` of each column in.
    #[inline(always)]
    pub(crate) fn prefetch(&self, i: usize) {
        #[cfg(target_arch = "x86_64")]
        for &(addr, len, size) in &self.cols[..self.n] {
            if i < len {
                // SAFETY: prefetching never faults and reads nothing
                // observable; the address is inside the column anyway.
                unsafe {
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                        (addr + i * size) as *const i8,
                    )
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }
}

impl VarArray {
    /// `len` zeros of the storage type of `ty` in `precision`.
    pub fn zeros(ty: IrType, precision: Precision, len: usize) -> VarArray {
        use crate::mem::zeroed_vec;
        match ty {
            IrType::Scalar => match precision {
                Precision::F32 => VarArray::F32(zeroed_vec(len)),
                Precision::F64 => VarArray::F64(zeroed_vec(len)),
            },
            IrType::F32 => VarArray::F32(zeroed_vec(len)),
            IrType::F64 => VarArray::F64(zeroed_vec(len)),
            IrType::I32 => VarArray::I32(zeroed_vec(len)),
            IrType::U32 | IrType::Usize => VarArray::U32(zeroed_vec(len)),
            IrType::I64 => VarArray::I64(zeroed_vec(len)),
            IrType::U64 => VarArray::U64(zeroed_vec(len)),
            IrType::U8 => VarArray::U8(zeroed_vec(len)),
            IrType::U16 => VarArray::U16(zeroed_vec(len)),
            IrType::Bool => VarArray::Bool(zeroed_vec(len)),
        }
    }

    /// The element type's Rust name (`"f32"`, `"u16"`, `"bool"`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            VarArray::F32(_) => "f32",
            VarArray::F64(_) => "f64",
            VarArray::I32(_) => "i32",
            VarArray::U32(_) => "u32",
            VarArray::I64(_) => "i64",
            VarArray::U64(_) => "u64",
            VarArray::U8(_) => "u8",
            VarArray::U16(_) => "u16",
            VarArray::Bool(_) => "bool",
        }
    }

    /// Appends `src[range]` (same storage type).
    ///
    /// # Panics
    /// If the storage types differ or the range is out of bounds (a
    /// backend bug, not a user error).
    pub fn extend_from(&mut self, src: &VarArray, range: std::ops::Range<usize>) {
        macro_rules! extend {
            ($($v:ident),*) => {
                match (self, src) {
                    $((VarArray::$v(d), VarArray::$v(s)) => d.extend_from_slice(&s[range]),)*
                    _ => panic!("internal error: variable storage type mismatch"),
                }
            };
        }
        extend!(F32, F64, I32, U32, I64, U64, U8, U16, Bool)
    }

    /// Overwrites the elements from `at` on with `src[range]` (same storage type).
    ///
    /// # Panics
    /// As [`extend_from`](Self::extend_from).
    pub fn copy_from(&mut self, at: usize, src: &VarArray, range: std::ops::Range<usize>) {
        macro_rules! copy {
            ($($v:ident),*) => {
                match (self, src) {
                    $((VarArray::$v(d), VarArray::$v(s)) => {
                        d[at..at + range.len()].copy_from_slice(&s[range])
                    })*
                    _ => panic!("internal error: variable storage type mismatch"),
                }
            };
        }
        copy!(F32, F64, I32, U32, I64, U64, U8, U16, Bool)
    }

    /// An empty array of the same storage type.
    pub fn empty_like(&self) -> VarArray {
        self.empty_like_with_capacity(0)
    }

    /// An empty array of the same storage type with room for `capacity` elements.
    pub fn empty_like_with_capacity(&self, capacity: usize) -> VarArray {
        macro_rules! empty {
            ($($v:ident),*) => {
                match self {
                    $(VarArray::$v(_) => VarArray::$v(crate::mem::vec_with_capacity(capacity)),)*
                }
            };
        }
        empty!(F32, F64, I32, U32, I64, U64, U8, U16, Bool)
    }

    /// Keeps only the elements in `runs` (ascending, not overlapping), in
    /// order: moved down in place, without a new allocation, and the
    /// allocation shrunk to them.
    ///
    /// ```
    /// use snn_core::var::VarArray;
    /// let mut a = VarArray::U8(vec![0, 1, 2, 3, 4, 5, 6]);
    /// a.keep_runs(&[1..3, 3..3, 5..7]);
    /// assert_eq!(a, VarArray::U8(vec![1, 2, 5, 6]));
    /// ```
    pub fn keep_runs(&mut self, runs: &[std::ops::Range<usize>]) {
        fn keep<T: Copy>(v: &mut Vec<T>, runs: &[std::ops::Range<usize>]) {
            let mut at = 0;
            for r in runs {
                if r.start != at {
                    v.copy_within(r.clone(), at);
                }
                at += r.len();
            }
            v.truncate(at);
            v.shrink_to_fit();
        }
        each_variant!(self, a => keep(a, runs))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        each_variant!(self, a => a.len())
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element.
    pub fn elem_size(&self) -> usize {
        each_variant!(self, a => elem_size_of(a))
    }

    /// The values as native-endian bytes, the layout of device buffers
    /// (`bool` as one byte, 0 or 1).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            VarArray::Bool(a) => a.iter().map(|&b| b as u8).collect(),
            VarArray::F32(a) => bytemuck::cast_slice(a).to_vec(),
            VarArray::F64(a) => bytemuck::cast_slice(a).to_vec(),
            VarArray::I32(a) => bytemuck::cast_slice(a).to_vec(),
            VarArray::U32(a) => bytemuck::cast_slice(a).to_vec(),
            VarArray::I64(a) => bytemuck::cast_slice(a).to_vec(),
            VarArray::U64(a) => bytemuck::cast_slice(a).to_vec(),
            VarArray::U8(a) => a.clone(),
            VarArray::U16(a) => bytemuck::cast_slice(a).to_vec(),
        }
    }

    /// Values of the storage type of `ty` from bytes laid out as by
    /// [`to_bytes`](Self::to_bytes) (a trailing partial element is ignored).
    pub fn from_bytes(ty: IrType, precision: Precision, bytes: &[u8]) -> VarArray {
        fn read<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
            bytes
                .chunks_exact(std::mem::size_of::<T>())
                .map(bytemuck::pod_read_unaligned)
                .collect()
        }
        match VarArray::zeros(ty, precision, 0) {
            VarArray::Bool(_) => VarArray::Bool(bytes.iter().map(|&b| b != 0).collect()),
            VarArray::F32(_) => VarArray::F32(read(bytes)),
            VarArray::F64(_) => VarArray::F64(read(bytes)),
            VarArray::I32(_) => VarArray::I32(read(bytes)),
            VarArray::U32(_) => VarArray::U32(read(bytes)),
            VarArray::I64(_) => VarArray::I64(read(bytes)),
            VarArray::U64(_) => VarArray::U64(read(bytes)),
            VarArray::U8(_) => VarArray::U8(bytes.to_vec()),
            VarArray::U16(_) => VarArray::U16(read(bytes)),
        }
    }

    /// The largest value as `f64` (`None` when empty; NaN-aware total
    /// order), without converting the whole array.
    pub fn max_f64(&self) -> Option<f64> {
        fn max<T: Copy>(a: &[T], f: impl Fn(T) -> f64) -> Option<f64> {
            a.iter().map(|&x| f(x)).max_by(|a, b| a.total_cmp(b))
        }
        match self {
            VarArray::F32(a) => max(a, |x| x as f64),
            VarArray::F64(a) => max(a, |x| x),
            VarArray::I32(a) => max(a, |x| x as f64),
            VarArray::U32(a) => max(a, |x| x as f64),
            VarArray::I64(a) => max(a, |x| x as f64),
            VarArray::U64(a) => max(a, |x| x as f64),
            VarArray::U8(a) => max(a, |x| x as f64),
            VarArray::U16(a) => max(a, |x| x as f64),
            VarArray::Bool(a) => max(a, |x| x as u8 as f64),
        }
    }

    /// Values converted to `f64` (exact for every storage type).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            VarArray::F32(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::F64(a) => a.clone(),
            VarArray::I32(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::U32(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::I64(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::U64(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::U8(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::U16(a) => a.iter().map(|&x| x as f64).collect(),
            VarArray::Bool(a) => a.iter().map(|&x| x as u8 as f64).collect(),
        }
    }

    /// Sets element `i` from an `f64` (`as` conversion).
    pub fn set_f64(&mut self, i: usize, x: f64) {
        let mut s = self.slice_mut(i..i + 1);
        match &mut s {
            VarSliceMut::F32(a) => a[0] = x as f32,
            VarSliceMut::F64(a) => a[0] = x,
            VarSliceMut::I32(a) => a[0] = x as i32,
            VarSliceMut::U32(a) => a[0] = x as u32,
            VarSliceMut::I64(a) => a[0] = x as i64,
            VarSliceMut::U64(a) => a[0] = x as u64,
            VarSliceMut::U8(a) => a[0] = x as u8,
            VarSliceMut::U16(a) => a[0] = x as u16,
            VarSliceMut::Bool(a) => a[0] = x != 0.0,
        }
    }

    /// Sets the elements `start..start + values.len()` from `f64`s (`as`
    /// conversion, like [`set_f64`](Self::set_f64)), with one type dispatch.
    pub fn set_f64_from(&mut self, start: usize, values: &[f64]) {
        fn conv<T>(out: &mut [T], values: &[f64], f: impl Fn(f64) -> T) {
            for (o, &v) in out.iter_mut().zip(values) {
                *o = f(v);
            }
        }
        let end = start + values.len();
        match self {
            VarArray::F32(a) => conv(&mut a[start..end], values, |x| x as f32),
            VarArray::F64(a) => a[start..end].copy_from_slice(values),
            VarArray::I32(a) => conv(&mut a[start..end], values, |x| x as i32),
            VarArray::U32(a) => conv(&mut a[start..end], values, |x| x as u32),
            VarArray::I64(a) => conv(&mut a[start..end], values, |x| x as i64),
            VarArray::U64(a) => conv(&mut a[start..end], values, |x| x as u64),
            VarArray::U8(a) => conv(&mut a[start..end], values, |x| x as u8),
            VarArray::U16(a) => conv(&mut a[start..end], values, |x| x as u16),
            VarArray::Bool(a) => conv(&mut a[start..end], values, |x| x != 0.0),
        }
    }

    /// Fills the array piece by piece, the pieces in parallel:
    /// `fill(start, values)` gives elements `start..start + values.len()`
    /// (at most `piece` of them) as `f64`, converted like `as`.
    pub fn par_fill_f64(&mut self, piece: usize, fill: impl Fn(usize, &mut [f64]) + Sync) {
        fn go<T: Send>(
            a: &mut [T],
            piece: usize,
            fill: &(impl Fn(usize, &mut [f64]) + Sync),
            conv: impl Fn(f64) -> T + Sync,
        ) {
            use rayon::prelude::*;
            a.par_chunks_mut(piece.max(1))
                .enumerate()
                .for_each(|(c, out)| {
                    let mut values = vec![0f64; out.len()];
                    fill(c * piece.max(1), &mut values);
                    for (o, &v) in out.iter_mut().zip(&values) {
                        *o = conv(v);
                    }
                });
        }
        match self {
            VarArray::F32(a) => go(a, piece, &fill, |x| x as f32),
            VarArray::F64(a) => go(a, piece, &fill, |x| x),
            VarArray::I32(a) => go(a, piece, &fill, |x| x as i32),
            VarArray::U32(a) => go(a, piece, &fill, |x| x as u32),
            VarArray::I64(a) => go(a, piece, &fill, |x| x as i64),
            VarArray::U64(a) => go(a, piece, &fill, |x| x as u64),
            VarArray::U8(a) => go(a, piece, &fill, |x| x as u8),
            VarArray::U16(a) => go(a, piece, &fill, |x| x as u16),
            VarArray::Bool(a) => go(a, piece, &fill, |x| x != 0.0),
        }
    }

    /// Fills from values computed in precision `S`, converted like `as`.
    pub fn fill_from<S: Real>(&mut self, values: &[S]) {
        for (i, v) in values.iter().enumerate() {
            self.set_f64(i, v.to_f64());
        }
    }

    /// A read-only view of all elements.
    pub fn slice(&self) -> VarSlice<'_> {
        match self {
            VarArray::F32(a) => VarSlice::F32(a),
            VarArray::F64(a) => VarSlice::F64(a),
            VarArray::I32(a) => VarSlice::I32(a),
            VarArray::U32(a) => VarSlice::U32(a),
            VarArray::I64(a) => VarSlice::I64(a),
            VarArray::U64(a) => VarSlice::U64(a),
            VarArray::U8(a) => VarSlice::U8(a),
            VarArray::U16(a) => VarSlice::U16(a),
            VarArray::Bool(a) => VarSlice::Bool(a),
        }
    }

    /// A mutable view of a range of elements.
    pub fn slice_mut(&mut self, r: std::ops::Range<usize>) -> VarSliceMut<'_> {
        match self {
            VarArray::F32(a) => VarSliceMut::F32(&mut a[r]),
            VarArray::F64(a) => VarSliceMut::F64(&mut a[r]),
            VarArray::I32(a) => VarSliceMut::I32(&mut a[r]),
            VarArray::U32(a) => VarSliceMut::U32(&mut a[r]),
            VarArray::I64(a) => VarSliceMut::I64(&mut a[r]),
            VarArray::U64(a) => VarSliceMut::U64(&mut a[r]),
            VarArray::U8(a) => VarSliceMut::U8(&mut a[r]),
            VarArray::U16(a) => VarSliceMut::U16(&mut a[r]),
            VarArray::Bool(a) => VarSliceMut::Bool(&mut a[r]),
        }
    }

    /// A new array of the elements at `idx`, in that order.
    pub fn gather(&self, idx: &[usize]) -> VarArray {
        macro_rules! pick {
            ($($v:ident),*) => {
                match self {
                    $(VarArray::$v(a) => VarArray::$v(idx.iter().map(|&i| a[i]).collect()),)*
                }
            };
        }
        pick!(F32, F64, I32, U32, I64, U64, U8, U16, Bool)
    }

    /// Splits into mutable views of consecutive chunks of `chunk` elements.
    pub fn chunks_mut(&mut self, chunk: usize) -> Vec<VarSliceMut<'_>> {
        match self {
            VarArray::F32(a) => a.chunks_mut(chunk).map(VarSliceMut::F32).collect(),
            VarArray::F64(a) => a.chunks_mut(chunk).map(VarSliceMut::F64).collect(),
            VarArray::I32(a) => a.chunks_mut(chunk).map(VarSliceMut::I32).collect(),
            VarArray::U32(a) => a.chunks_mut(chunk).map(VarSliceMut::U32).collect(),
            VarArray::I64(a) => a.chunks_mut(chunk).map(VarSliceMut::I64).collect(),
            VarArray::U64(a) => a.chunks_mut(chunk).map(VarSliceMut::U64).collect(),
            VarArray::U8(a) => a.chunks_mut(chunk).map(VarSliceMut::U8).collect(),
            VarArray::U16(a) => a.chunks_mut(chunk).map(VarSliceMut::U16).collect(),
            VarArray::Bool(a) => a.chunks_mut(chunk).map(VarSliceMut::Bool).collect(),
        }
    }
}

fn elem_size_of<T>(_: &[T]) -> usize {
    std::mem::size_of::<T>()
}

/// Hints the CPU to bring `slice[i]`'s cache line in (no effect where the
/// architecture has no prefetch instruction, or when `i` is out of range).
#[inline(always)]
pub fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if i < slice.len() {
        // SAFETY: prefetching never faults and reads nothing observable;
        // the address is inside `slice` anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                slice.as_ptr().add(i).cast(),
            )
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, i);
}
