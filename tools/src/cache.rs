//! `hspt cache inspect|verify|merge`.

use std::path::{Path, PathBuf};

use hspt_runtime::exec::tcache;

/// Header, counts and sizes of a cache.
pub fn inspect(p: &Path) -> Result<String, String> {
    let c = tcache::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    Ok(format!("{}\n{}", p.display(), tcache::describe(&c, len)))
}

/// A full check: everything `run --cache` checks (ownership and permissions,
/// versions, checksum, bounds, this host's fingerprint) plus every index record.
pub fn verify(p: &Path) -> Result<String, String> {
    let backend = hspt_llvm::LlvmBackend::default();
    let fp = tcache::fingerprint(&backend);
    let c = tcache::read(p)?;
    let mapped = tcache::TCache::open(p, &fp)?;
    for e in &c.entries {
        if mapped.lookup(e.key).is_none() {
            return Err(format!("entry {:032x} not found by lookup", e.key.0));
        }
    }
    Ok(format!("{}: OK ({} entries, usable on this host)", p.display(), c.entries.len()))
}

/// Merges caches into `out` (under its lock; inputs made for another host or version are refused).
pub fn merge(out: &Path, inputs: &[PathBuf]) -> Result<String, String> {
    let mut fp: Option<String> = None;
    let mut all = Vec::new();
    for p in inputs {
        let c = tcache::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
        match &fp {
            None => fp = Some(c.fingerprint.clone()),
            Some(f) if *f != c.fingerprint => {
                return Err(format!("{}: made for another host CPU or code generator than {}", p.display(), inputs[0].display()))
            }
            Some(_) => {}
        }
        all.extend(c.entries);
    }
    let fp = fp.ok_or("nothing to merge")?;
    let r = tcache::merge_into(out, &fp, all, &mut |w| eprintln!("{w}"))?;
    Ok(format!("hspt cache merge: {}: {} entries ({} new)", out.display(), r.after, r.added))
}
