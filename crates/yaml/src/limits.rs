//! Resource limits that keep hostile manifests from exhausting time, memory or stack.

/// Bounds applied while loading one file. The defaults are far above any real manifest (the largest
/// in the public corpus is a few dozen kilobytes) and far below what would hurt a CI runner.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest accepted file, in bytes. The parser we build on holds every token of a flow
    /// collection (`[...]`) until it closes, about 190 bytes of memory per input byte in the worst
    /// case, so this limit is what bounds memory per file: 2 MiB keeps a worker near 430 MiB at worst
    /// while staying 90 times above the largest real manifest we know.
    pub max_bytes: usize,
    /// Deepest accepted nesting of sequences and mappings. The loader itself never recurses, but
    /// every later stage walks the tree, so depth is capped here once for all of them.
    pub max_depth: usize,
    /// Forge's parser (`yaml`'s `maxAliasCount`) refuses a document once an anchor's uses times the
    /// aliases nested inside it exceed this number; we apply the same rule so that we accept and
    /// refuse the same files.
    pub max_alias_count: u64,
    /// Cap on the number of nodes in the expanded tree. Forge shares aliased objects by reference;
    /// we copy them, so this second bound keeps memory proportional to the input.
    pub max_nodes: usize,
    /// Cap on the text copied while keeping anchors and expanding aliases, in bytes. Forge shares
    /// one object per anchor; our copies are bounded by this instead, so that nested anchors or a
    /// huge aliased string cannot multiply a large file into gigabytes.
    pub max_copied_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 512,
            max_alias_count: 100,
            max_nodes: 2_000_000,
            max_copied_bytes: 32 * 1024 * 1024,
        }
    }
}
