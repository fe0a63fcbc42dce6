//! The image loaders `hspt run` uses, on arbitrary bytes: byte 0 selects the path
//! (even: the bytes are the kernel, ELF or zImage as `hspt run` decides; odd: a
//! zImage kernel = the bytes up to the first "INITRD" marker, and an initrd = the
//! rest), with 8 MiB of RAM. Any outcome but a panic is fine: an error is a
//! one-line message, success leaves the image in RAM.
#![no_main]

use std::cell::RefCell;

use hspt_runtime::board::{loader, Board};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static BOARD: RefCell<Option<Board>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    BOARD.with(|b| {
        let mut b = b.borrow_mut();
        let board = b.get_or_insert_with(|| Board::new(8 << 20, Box::new(std::io::sink())).expect("board"));
        let result = if sel & 1 == 0 {
            if loader::is_elf(rest) {
                loader::load_elf(board, rest, "fuzz.elf")
            } else {
                loader::load_linux(board, rest, None, None, "console=ttyAMA0")
            }
        } else {
            let at = rest.windows(6).position(|w| w == b"INITRD");
            let (kernel, initrd) = match at {
                Some(i) => (&rest[..i], Some(&rest[i + 6..])),
                None => (rest, None),
            };
            let cmdline = if sel & 2 != 0 { "console=ttyAMA0 quiet" } else { "" };
            loader::load_linux(board, kernel, initrd, None, cmdline)
        };
        match result {
            Ok(l) => {
                assert!(l.low <= l.high);
                if let Some((s, e)) = l.dtb {
                    assert!(s < e && l.regs[2] == s);
                }
            }
            Err(e) => assert!(!e.0.contains('\n'), "one-line errors: {e}"),
        }
    });
});
