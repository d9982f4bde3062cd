//! Merging the launches of one phase of a step into as few kernels as the
//! device's parameter limit allows ([`Generator::merge`]).

use super::generator::{Generator, Params};
use super::{ArgSpec, Launch, BLOCK_SIZE};
use std::fmt::Write as _;

impl Generator<'_> {
    /// Merges runs of `launches` (independent of each other: one phase of
    /// the step) into single launches: GeNN's merged kernels. A merged
    /// kernel gives each original launch a contiguous range of blocks and
    /// calls its kernel's body (emitted once more as a device function
    /// taking the block index) there, so `k` launches cost one. Runs are
    /// cut where the merged kernel's parameters (each distinct argument
    /// once, counted as 8 bytes) would exceed `max_param_bytes`.
    pub(super) fn merge(&mut self, launches: Vec<Launch>, max_param_bytes: usize) -> Vec<Launch> {
        if max_param_bytes == 0 {
            return launches;
        }
        let max_params = (max_param_bytes / 8).saturating_sub(1).max(1);
        let mut out = Vec::new();
        let mut run: Vec<Launch> = Vec::new();
        let mut distinct: Vec<(String, ArgSpec)> = Vec::new();
        for l in launches {
            let params = self.typed_args(&l);
            let new = params.iter().filter(|p| !distinct.contains(p)).count();
            if !run.is_empty() && distinct.len() + new > max_params {
                out.push(self.merged_launch(std::mem::take(&mut run)));
                distinct.clear();
            }
            for p in params {
                if !distinct.contains(&p) {
                    distinct.push(p);
                }
            }
            run.push(l);
        }
        if !run.is_empty() {
            out.push(self.merged_launch(run));
        }
        out
    }

    /// `(C type, argument)` of each parameter of launch `l`.
    fn typed_args(&self, l: &Launch) -> Vec<(String, ArgSpec)> {
        let (decls, _) = &self.kernel_parts[&l.kernel];
        decls
            .iter()
            .zip(&l.args)
            .map(|(d, &a)| (param_type(d).to_string(), a))
            .collect()
    }

    /// One launch running every launch of `run` ([`Generator::merge`]); a
    /// run of one launch stays as it is.
    fn merged_launch(&mut self, run: Vec<Launch>) -> Launch {
        if run.len() == 1 {
            return run.into_iter().next().expect("one launch");
        }
        let mut params = Params::new();
        let mut distinct: Vec<(String, ArgSpec)> = Vec::new();
        let mut body = String::from("    const unsigned int b = GROUP_ID;\n");
        let mut first_block = 0u32;
        let phase = run[0].phase;
        for l in &run {
            debug_assert_eq!(l.phase, phase, "merged launches are of one phase");
            self.device_fn(&l.kernel);
            let args: Vec<String> = self
                .typed_args(l)
                .into_iter()
                .map(|p| {
                    let k = distinct.iter().position(|d| *d == p).unwrap_or_else(|| {
                        params.push(format!("{} a{}", p.0, distinct.len()), p.1);
                        distinct.push(p);
                        distinct.len() - 1
                    });
                    format!("a{k}")
                })
                .collect();
            let blocks = blocks_of(l.threads);
            let _ = writeln!(
                body,
                "    if (b < {end}u) {{ {k}_dev({args}b - {first_block}u); return; }}",
                end = first_block + blocks,
                k = l.kernel,
                args = args.iter().map(|a| format!("{a}, ")).collect::<String>(),
            );
            first_block += blocks;
        }
        self.merged += 1;
        let name = format!("merged_{}", self.merged);
        let _ = write!(
            self.source,
            "KERNEL void {name}(\n    {})\n{{\n{body}}}\n\n",
            params.decls.join(",\n    ")
        );
        Launch {
            kernel: name,
            threads: first_block * BLOCK_SIZE,
            args: params.args,
            phase,
        }
    }

    /// Emits kernel `name`'s body as `DEVICE void <name>_dev(<params>,
    /// unsigned int snn_block)`, the block index given instead of read
    /// (once per kernel).
    fn device_fn(&mut self, name: &str) {
        if !self.device_fns.insert(name.to_string()) {
            return;
        }
        let (decls, body) = &self.kernel_parts[name];
        let _ = write!(
            self.source,
            "DEVICE void {name}_dev(\n    {},\n    const unsigned int snn_block)\n{{\n{}}}\n\n",
            decls.join(",\n    "),
            replace_word(body, "GROUP_ID", "snn_block")
        );
    }
}

/// `text` with every occurrence of identifier `word` (not part of a
/// longer identifier) replaced by `with`.
pub(super) fn replace_word(text: &str, word: &str, with: &str) -> String {
    let ident = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let (before, after) = (&rest[..at], &rest[at + word.len()..]);
        out.push_str(before);
        let whole = !ident(before.chars().next_back().or(out.chars().next_back()))
            && !ident(after.chars().next());
        out.push_str(if whole { with } else { word });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Blocks of [`BLOCK_SIZE`] threads a launch of `threads` threads takes (at least one).
pub(super) fn blocks_of(threads: u32) -> u32 {
    threads.div_ceil(BLOCK_SIZE).max(1)
}

/// The type of a parameter declaration `"<type> <name>"`.
fn param_type(decl: &str) -> &str {
    decl.rsplit_once(' ').map_or(decl, |(ty, _)| ty)
}
