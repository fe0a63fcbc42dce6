//! Device tree blobs, as `hspt run --dtb FILE` takes them: the header check and
//! parser on arbitrary bytes, and, for blobs that parse, the patching of the memory
//! node and /chosen (bootargs, initrd range) and a re-parse of the result, which
//! must hold what was set.
#![no_main]

use hspt_runtime::board::fdt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fdt::check_header(data);
    if fdt::Fdt::parse(data).is_err() {
        return;
    }
    let initrd = Some((0x4800_0000, 0x4800_1000));
    match fdt::patch_dtb(data, 64 << 20, "console=ttyAMA0", initrd) {
        Ok(blob) => {
            let t = fdt::Fdt::parse(&blob).expect("a patched blob parses").root;
            let chosen = t.at("/chosen").expect("/chosen");
            assert_eq!(chosen.prop_strings("bootargs"), Some(vec!["console=ttyAMA0"]));
            assert_eq!(chosen.prop_u32("linux,initrd-start"), Some(0x4800_0000));
        }
        Err(e) => assert!(!e.contains('\n'), "one-line errors: {e}"),
    }
});
