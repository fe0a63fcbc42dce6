//! hspt's LLVM backend. Until the JIT issue lands this crate holds only the LLVM
//! plumbing (context, native target, JIT engine) and a smoke test proving that
//! LLVM 19 is linked and can compile and run x86-64 code on this host.

use inkwell::context::Context;
use inkwell::OptimizationLevel;

/// Compiles `fn(u32, u32) -> u32 { a + b }` through LLVM's JIT and calls it.
/// Used by `hspt --version`-style diagnostics and the smoke test.
pub fn jit_smoke_add(a: u32, b: u32) -> Result<u32, String> {
    inkwell::targets::Target::initialize_native(&Default::default())?;
    let ctx = Context::create();
    let module = ctx.create_module("smoke");
    let i32t = ctx.i32_type();
    let fnty = i32t.fn_type(&[i32t.into(), i32t.into()], false);
    let f = module.add_function("add", fnty, None);
    let bb = ctx.append_basic_block(f, "entry");
    let bld = ctx.create_builder();
    bld.position_at_end(bb);
    let x = f.get_nth_param(0).ok_or("param")?.into_int_value();
    let y = f.get_nth_param(1).ok_or("param")?.into_int_value();
    let s = bld.build_int_add(x, y, "s").map_err(|e| e.to_string())?;
    bld.build_return(Some(&s)).map_err(|e| e.to_string())?;
    let ee = module
        .create_jit_execution_engine(OptimizationLevel::Default)
        .map_err(|e| e.to_string())?;
    // SAFETY: the function was built above with exactly this signature.
    let func = unsafe { ee.get_function::<unsafe extern "C" fn(u32, u32) -> u32>("add") }
        .map_err(|e| e.to_string())?;
    // SAFETY: calling JIT code with the signature it was compiled with.
    Ok(unsafe { func.call(a, b) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn llvm_jit_compiles_and_runs_an_add() {
        assert_eq!(super::jit_smoke_add(40, 2).unwrap(), 42);
        assert_eq!(super::jit_smoke_add(u32::MAX, 1).unwrap(), 0);
    }
}
