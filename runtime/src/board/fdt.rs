//! The flattened device tree handed to Linux in r2.
//!
//! [`build_dtb`] generates it with vm-fdt from the board description: the nodes of QEMU's
//! `virt` board (hw/arm/virt.c) that hspt emulates, with the same names, properties and
//! phandles, so a kernel sees the same machine under both. What QEMU adds and hspt leaves
//! out: PCIe, fw-cfg, flash, PL061/gpio-keys, the GICv2m frame, 32 virtio-mmio
//! transports, the empty `pmu` node and `cpu-map`.
//!
//! [`patch_dtb`] takes a user's `--dtb` and does what QEMU's `arm_load_dtb` does to it:
//! sets the memory node, `/chosen` bootargs and the initrd range. A small reader and
//! writer of the format (devicetree specification v0.4, chapter 5) live here for that
//! and for the tests; vm-fdt only writes, and its node-name rules are stricter than dtc's
//! (`__symbols__`), so a user's blob is re-serialised by hand.

use std::collections::HashMap;

use vm_fdt::FdtWriter;

use super::{GIC_CPU_BASE, GIC_DIST_BASE, RAM_BASE, RTC_BASE, UART_BASE};

/// Longest `--append` accepted: the ARM kernel copies bootargs into a buffer of
/// COMMAND_LINE_SIZE = 1024 bytes (arch/arm/include/uapi/asm/setup.h) with its NUL and
/// silently truncates anything longer, so a longer line is refused instead.
pub const MAX_CMDLINE: usize = 1023;

const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;
const HEADER_LEN: usize = 40;
/// Deeper trees than this are refused (real ones are under 10 levels).
const MAX_DEPTH: usize = 64;

// Phandles: QEMU's values, so `dtc -I dtb` output of both machines diffs cleanly.
const PHANDLE_APB_PCLK: u32 = 0x8000;
const PHANDLE_GIC: u32 = 0x8002;

// Interrupt specifiers of "arm,cortex-a15-gic" (#interrupt-cells = 3): type, number, flags.
const GIC_SPI: u32 = 0;
const GIC_PPI: u32 = 1;
const IRQ_TYPE_LEVEL_HIGH: u32 = 4;
/// PPI flags carry a CPU mask in bits 15:8: one CPU.
const PPI_CPU_MASK: u32 = 1 << 8;
/// Generic timer PPIs: secure physical, non-secure physical, virtual, hypervisor.
const TIMER_PPIS: [u32; 4] = [13, 14, 11, 10];
const UART_SPI: u32 = 1;
const RTC_SPI: u32 = 2;
/// The PL011/PL031 reference clock QEMU's virt board declares.
const APB_PCLK_HZ: u32 = 24_000_000;
/// PSCI 0.1 function ids, as QEMU emits them next to the 0.2 compatible (the SMC32/HVC32
/// ids of PSCI 0.2, which a 0.1-only kernel would look up here).
const PSCI_0_1_IDS: [(&str, u32); 4] =
    [("cpu_suspend", 0x8400_0001), ("cpu_off", 0x8400_0002), ("cpu_on", 0x8400_0003), ("migrate", 0x8400_0005)];

/// The device tree of the board with `ram_size` bytes of RAM at RAM_BASE, kernel command
/// line `cmdline` (empty: no bootargs, the kernel uses its built-in default) and, if given,
/// the initrd's physical [start, end) range.
pub fn build_dtb(ram_size: u64, cmdline: &str, initrd: Option<(u32, u32)>) -> Result<Vec<u8>, String> {
    build_dtb_seeded(ram_size, cmdline, initrd, host_random_seed())
}

/// `build_dtb` with a given `/chosen/rng-seed` (None: no seed).
pub(crate) fn build_dtb_seeded(
    ram_size: u64,
    cmdline: &str,
    initrd: Option<(u32, u32)>,
    rng_seed: Option<[u8; 32]>,
) -> Result<Vec<u8>, String> {
    check_cmdline(cmdline)?;
    check_ram(ram_size)?;
    check_initrd(initrd)?;
    let e = |e: vm_fdt::Error| format!("cannot build the device tree: {e}");
    let mut w = FdtWriter::new().map_err(e)?;
    let root = w.begin_node("").map_err(e)?;
    w.property_u32("interrupt-parent", PHANDLE_GIC).map_err(e)?;
    w.property_string("model", "linux,dummy-virt").map_err(e)?;
    w.property_u32("#size-cells", 2).map_err(e)?;
    w.property_u32("#address-cells", 2).map_err(e)?;
    w.property_string("compatible", "linux,dummy-virt").map_err(e)?;

    let n = w.begin_node("psci").map_err(e)?;
    for (name, id) in PSCI_0_1_IDS.iter().rev() {
        w.property_u32(name, *id).map_err(e)?;
    }
    w.property_string("method", "hvc").map_err(e)?;
    w.property_string_list("compatible", strings(&["arm,psci-0.2", "arm,psci"])).map_err(e)?;
    w.end_node(n).map_err(e)?;

    let n = w.begin_node(&format!("memory@{RAM_BASE:x}")).map_err(e)?;
    w.property_array_u64("reg", &[RAM_BASE as u64, ram_size]).map_err(e)?;
    w.property_string("device_type", "memory").map_err(e)?;
    w.end_node(n).map_err(e)?;

    let n = w.begin_node(&format!("pl031@{RTC_BASE:x}")).map_err(e)?;
    w.property_string("clock-names", "apb_pclk").map_err(e)?;
    w.property_u32("clocks", PHANDLE_APB_PCLK).map_err(e)?;
    w.property_array_u32("interrupts", &[GIC_SPI, RTC_SPI, IRQ_TYPE_LEVEL_HIGH]).map_err(e)?;
    w.property_array_u64("reg", &[RTC_BASE as u64, 0x1000]).map_err(e)?;
    w.property_string_list("compatible", strings(&["arm,pl031", "arm,primecell"])).map_err(e)?;
    w.end_node(n).map_err(e)?;

    let n = w.begin_node(&format!("pl011@{UART_BASE:x}")).map_err(e)?;
    w.property_string_list("clock-names", strings(&["uartclk", "apb_pclk"])).map_err(e)?;
    w.property_array_u32("clocks", &[PHANDLE_APB_PCLK, PHANDLE_APB_PCLK]).map_err(e)?;
    w.property_array_u32("interrupts", &[GIC_SPI, UART_SPI, IRQ_TYPE_LEVEL_HIGH]).map_err(e)?;
    w.property_array_u64("reg", &[UART_BASE as u64, 0x1000]).map_err(e)?;
    w.property_string_list("compatible", strings(&["arm,pl011", "arm,primecell"])).map_err(e)?;
    w.end_node(n).map_err(e)?;

    let n = w.begin_node(&format!("intc@{GIC_DIST_BASE:x}")).map_err(e)?;
    w.property_phandle(PHANDLE_GIC).map_err(e)?;
    w.property_array_u64("reg", &[GIC_DIST_BASE as u64, 0x1_0000, GIC_CPU_BASE as u64, 0x1_0000]).map_err(e)?;
    w.property_string("compatible", "arm,cortex-a15-gic").map_err(e)?;
    w.property_null("interrupt-controller").map_err(e)?;
    w.property_u32("#interrupt-cells", 3).map_err(e)?;
    // No child nodes (QEMU's has the GICv2m MSI frame); an interrupt provider names
    // its #address-cells for interrupt-map lookups.
    w.property_u32("#address-cells", 0).map_err(e)?;
    w.end_node(n).map_err(e)?;

    let cpus = w.begin_node("cpus").map_err(e)?;
    w.property_u32("#size-cells", 0).map_err(e)?;
    w.property_u32("#address-cells", 1).map_err(e)?;
    // One CPU: QEMU gives no enable-method then (secondaries would use PSCI CPU_ON).
    let n = w.begin_node("cpu@0").map_err(e)?;
    w.property_u32("reg", 0).map_err(e)?;
    w.property_string("compatible", "arm,cortex-a15").map_err(e)?;
    w.property_string("device_type", "cpu").map_err(e)?;
    w.end_node(n).map_err(e)?;
    w.end_node(cpus).map_err(e)?;

    let n = w.begin_node("timer").map_err(e)?;
    let irqs: Vec<u32> =
        TIMER_PPIS.iter().flat_map(|&p| [GIC_PPI, p, PPI_CPU_MASK | IRQ_TYPE_LEVEL_HIGH]).collect();
    w.property_array_u32("interrupts", &irqs).map_err(e)?;
    // The counter keeps counting in every power state (the kernel may then use it as its
    // clocksource in idle).
    w.property_null("always-on").map_err(e)?;
    w.property_string("compatible", "arm,armv7-timer").map_err(e)?;
    w.end_node(n).map_err(e)?;

    let n = w.begin_node("apb-pclk").map_err(e)?;
    w.property_phandle(PHANDLE_APB_PCLK).map_err(e)?;
    w.property_string("clock-output-names", "clk24mhz").map_err(e)?;
    w.property_u32("clock-frequency", APB_PCLK_HZ).map_err(e)?;
    w.property_u32("#clock-cells", 0).map_err(e)?;
    w.property_string("compatible", "fixed-clock").map_err(e)?;
    w.end_node(n).map_err(e)?;

    let n = w.begin_node("chosen").map_err(e)?;
    if let Some((start, end)) = initrd {
        w.property_u32("linux,initrd-end", end).map_err(e)?;
        w.property_u32("linux,initrd-start", start).map_err(e)?;
    }
    if !cmdline.is_empty() {
        w.property_string("bootargs", cmdline).map_err(e)?;
    }
    w.property_string("stdout-path", &format!("/pl011@{UART_BASE:x}")).map_err(e)?;
    if let Some(seed) = rng_seed {
        // Seeds the guest's CRNG at once, as QEMU does, so early getrandom() never blocks.
        w.property("rng-seed", &seed).map_err(e)?;
    }
    w.end_node(n).map_err(e)?;

    w.end_node(root).map_err(e)?;
    w.finish().map_err(e)
}

/// A user's device tree blob with the memory node, `/chosen` bootargs (when `cmdline` is
/// not empty) and the initrd range set for this boot, as QEMU's `arm_load_dtb` does. A
/// stale initrd range (a blob dumped from a QEMU run) is removed when there is no initrd.
pub fn patch_dtb(blob: &[u8], ram_size: u64, cmdline: &str, initrd: Option<(u32, u32)>) -> Result<Vec<u8>, String> {
    check_cmdline(cmdline)?;
    check_ram(ram_size)?;
    check_initrd(initrd)?;
    let mut fdt = Fdt::parse(blob)?;
    let root = &mut fdt.root;
    let acells = root.prop_u32("#address-cells").unwrap_or(2);
    let scells = root.prop_u32("#size-cells").unwrap_or(1);
    let reg = cells(acells, RAM_BASE as u64)
        .and_then(|mut a| {
            a.extend(cells(scells, ram_size)?);
            Some(a)
        })
        .ok_or_else(|| {
            format!("the root node's #address-cells = {acells} / #size-cells = {scells} cannot describe the RAM")
        })?;
    let mem_name = format!("memory@{RAM_BASE:x}");
    let mem = match root.children.iter().position(|c| c.name == "memory" || c.name.starts_with("memory@")) {
        Some(i) => &mut root.children[i],
        None => root.child_mut_or_new(&mem_name),
    };
    mem.set_prop("device_type", b"memory\0".to_vec());
    mem.set_prop("reg", reg);
    let chosen = root.child_mut_or_new("chosen");
    if !cmdline.is_empty() {
        let mut v = cmdline.as_bytes().to_vec();
        v.push(0);
        chosen.set_prop("bootargs", v);
    }
    match initrd {
        Some((start, end)) => {
            chosen.set_prop("linux,initrd-start", start.to_be_bytes().to_vec());
            chosen.set_prop("linux,initrd-end", end.to_be_bytes().to_vec());
        }
        None => {
            chosen.props.retain(|(n, _)| n != "linux,initrd-start" && n != "linux,initrd-end");
        }
    }
    Ok(fdt.to_bytes())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn check_cmdline(cmdline: &str) -> Result<(), String> {
    if cmdline.len() > MAX_CMDLINE {
        return Err(format!(
            "--append too long: {} bytes, the ARM Linux kernel reads at most {MAX_CMDLINE} (COMMAND_LINE_SIZE)",
            cmdline.len()
        ));
    }
    if cmdline.contains('\0') {
        return Err("--append contains a NUL character".into());
    }
    Ok(())
}

fn check_ram(ram_size: u64) -> Result<(), String> {
    if ram_size == 0 || RAM_BASE as u64 + ram_size > 1 << 32 {
        return Err(format!("RAM size 0x{ram_size:x} does not fit the 32-bit memory map"));
    }
    Ok(())
}

fn check_initrd(initrd: Option<(u32, u32)>) -> Result<(), String> {
    match initrd {
        Some((s, e)) if e < s => Err(format!("initrd range 0x{s:08x}-0x{e:08x} ends before it starts")),
        _ => Ok(()),
    }
}

/// `v` as `n` big-endian cells, None if it does not fit.
fn cells(n: u32, v: u64) -> Option<Vec<u8>> {
    match n {
        1 => u32::try_from(v).ok().map(|v| v.to_be_bytes().to_vec()),
        2 => Some(v.to_be_bytes().to_vec()),
        _ => None,
    }
}

/// 32 bytes from the host's entropy pool, or None if it cannot be read.
fn host_random_seed() -> Option<[u8; 32]> {
    use std::io::Read;
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut seed)).ok()?;
    Some(seed)
}

/// A device tree node: its name (with unit address), properties in order, and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    pub props: Vec<(String, Vec<u8>)>,
    pub children: Vec<Node>,
}

impl Node {
    pub fn prop(&self, name: &str) -> Option<&[u8]> {
        self.props.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// A one-cell property.
    pub fn prop_u32(&self, name: &str) -> Option<u32> {
        let v = self.prop(name)?;
        Some(u32::from_be_bytes(v.try_into().ok()?))
    }

    /// A property's cells (big-endian u32s); None if absent or not a multiple of 4 bytes.
    pub fn prop_cells(&self, name: &str) -> Option<Vec<u32>> {
        let v = self.prop(name)?;
        if v.len() % 4 != 0 {
            return None;
        }
        Some(v.chunks(4).map(|c| u32::from_be_bytes(c.try_into().unwrap())).collect())
    }

    /// A string or string-list property.
    pub fn prop_strings(&self, name: &str) -> Option<Vec<&str>> {
        let v = self.prop(name)?.strip_suffix(b"\0")?;
        v.split(|&b| b == 0).map(|s| std::str::from_utf8(s).ok()).collect()
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The node at `path` ("/a/b") below this one.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('/').filter(|s| !s.is_empty()).try_fold(self, |n, name| n.child(name))
    }

    fn child_mut_or_new(&mut self, name: &str) -> &mut Node {
        let i = match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(Node { name: name.into(), ..Node::default() });
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }

    fn set_prop(&mut self, name: &str, value: Vec<u8>) {
        match self.props.iter_mut().find(|(n, _)| n == name) {
            Some(p) => p.1 = value,
            None => self.props.push((name.into(), value)),
        }
    }
}

/// A parsed device tree blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fdt {
    /// Memory reservation block: (address, size) pairs.
    pub reserved: Vec<(u64, u64)>,
    pub boot_cpuid_phys: u32,
    pub root: Node,
}

fn be32(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(off..off.checked_add(4)?)?.try_into().ok()?))
}

fn be64(b: &[u8], off: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(off..off.checked_add(8)?)?.try_into().ok()?))
}

/// The blob's header-declared size, after checking its magic, version and size against
/// the `len` bytes available.
pub fn check_header(blob: &[u8]) -> Result<usize, String> {
    let magic = be32(blob, 0).ok_or("not a device tree blob (shorter than a header)")?;
    if magic != FDT_MAGIC {
        return Err(format!("not a device tree blob (magic 0x{magic:08x}, expected 0x{FDT_MAGIC:08x})"));
    }
    let total = be32(blob, 4).ok_or("truncated device tree header")? as usize;
    if blob.len() < HEADER_LEN || total < HEADER_LEN {
        return Err("truncated device tree header".into());
    }
    if total > blob.len() {
        return Err(format!("truncated device tree blob: its header says {total} bytes, the file has {}", blob.len()));
    }
    let (version, last_comp) = (be32(blob, 20).unwrap(), be32(blob, 24).unwrap());
    if version < 16 || last_comp > 17 {
        return Err(format!("unsupported device tree version {version} (compatible with {last_comp}); need 16 or 17"));
    }
    Ok(total)
}

impl Fdt {
    /// Parses a blob, checking every offset and token.
    pub fn parse(blob: &[u8]) -> Result<Fdt, String> {
        let total = check_header(blob)?;
        let b = &blob[..total];
        let corrupt = |what: &str| format!("corrupt device tree blob: {what}");
        let off_struct = be32(b, 8).unwrap() as usize;
        let off_strings = be32(b, 12).unwrap() as usize;
        let off_rsv = be32(b, 16).unwrap() as usize;
        let version = be32(b, 20).unwrap();
        let size_strings = be32(b, 32).unwrap() as usize;
        let size_struct = if version >= 17 { be32(b, 36).unwrap() as usize } else { total.saturating_sub(off_struct) };
        let in_blob = |off: usize, len: usize| off.checked_add(len).is_some_and(|e| e <= total);
        if !in_blob(off_struct, size_struct) || off_struct < HEADER_LEN || off_struct & 3 != 0 {
            return Err(corrupt("structure block outside the blob"));
        }
        if !in_blob(off_strings, size_strings) {
            return Err(corrupt("strings block outside the blob"));
        }
        let strings = &b[off_strings..off_strings + size_strings];
        let st = &b[off_struct..off_struct + size_struct];

        let mut reserved = Vec::new();
        let mut o = off_rsv;
        loop {
            let (addr, size) = match (be64(b, o), be64(b, o + 8)) {
                (Some(a), Some(s)) if o >= HEADER_LEN => (a, s),
                _ => return Err(corrupt("memory reservation block runs off the blob")),
            };
            if addr == 0 && size == 0 {
                break;
            }
            reserved.push((addr, size));
            o += 16;
        }

        let mut stack: Vec<Node> = Vec::new();
        let mut root: Option<Node> = None;
        let mut p = 0usize;
        loop {
            let tok = be32(st, p).ok_or_else(|| corrupt("structure block ends without FDT_END"))?;
            p += 4;
            match tok {
                FDT_BEGIN_NODE => {
                    if root.is_some() {
                        return Err(corrupt("more than one root node"));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(corrupt("nodes nested too deeply"));
                    }
                    let len = st[p..].iter().position(|&c| c == 0).ok_or_else(|| corrupt("unterminated node name"))?;
                    let name = std::str::from_utf8(&st[p..p + len]).map_err(|_| corrupt("node name is not UTF-8"))?;
                    stack.push(Node { name: name.into(), ..Node::default() });
                    p = (p + len + 1 + 3) & !3;
                }
                FDT_END_NODE => {
                    let n = stack.pop().ok_or_else(|| corrupt("FDT_END_NODE without a node"))?;
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(n),
                        None => root = Some(n),
                    }
                }
                FDT_PROP => {
                    let (len, nameoff) = match (be32(st, p), be32(st, p + 4)) {
                        (Some(l), Some(n)) => (l as usize, n as usize),
                        _ => return Err(corrupt("truncated property")),
                    };
                    p += 8;
                    let val = p.checked_add(len).and_then(|e| st.get(p..e)).ok_or_else(|| corrupt("property runs off the structure block"))?;
                    let name = strings
                        .get(nameoff..)
                        .and_then(|s| s.iter().position(|&c| c == 0).map(|l| &s[..l]))
                        .and_then(|s| std::str::from_utf8(s).ok())
                        .ok_or_else(|| corrupt("property name outside the strings block"))?;
                    let node = stack.last_mut().ok_or_else(|| corrupt("property outside any node"))?;
                    node.props.push((name.into(), val.to_vec()));
                    p = (p + len + 3) & !3;
                }
                FDT_NOP => {}
                FDT_END => break,
                t => return Err(corrupt(&format!("unknown token 0x{t:x} at offset 0x{:x}", off_struct + p - 4))),
            }
        }
        if !stack.is_empty() {
            return Err(corrupt("unclosed node"));
        }
        let root = root.ok_or_else(|| corrupt("no root node"))?;
        Ok(Fdt { reserved, boot_cpuid_phys: be32(b, 28).unwrap(), root })
    }

    /// Serialises the tree as a version-17 blob.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut strings: Vec<u8> = Vec::new();
        let mut string_off: HashMap<&str, u32> = HashMap::new();
        let mut st: Vec<u8> = Vec::new();
        fn put(v: &mut Vec<u8>, x: u32) {
            v.extend_from_slice(&x.to_be_bytes());
        }
        fn pad(v: &mut Vec<u8>) {
            while v.len() & 3 != 0 {
                v.push(0);
            }
        }
        // Iterative walk: (node, next child index).
        let mut stack: Vec<(&Node, usize)> = vec![(&self.root, 0)];
        put(&mut st, FDT_BEGIN_NODE);
        st.extend_from_slice(self.root.name.as_bytes());
        st.push(0);
        pad(&mut st);
        for (name, val) in &self.root.props {
            write_prop(&mut st, &mut strings, &mut string_off, name, val);
        }
        while let Some((node, i)) = stack.pop() {
            if let Some(child) = node.children.get(i) {
                stack.push((node, i + 1));
                put(&mut st, FDT_BEGIN_NODE);
                st.extend_from_slice(child.name.as_bytes());
                st.push(0);
                pad(&mut st);
                for (name, val) in &child.props {
                    write_prop(&mut st, &mut strings, &mut string_off, name, val);
                }
                stack.push((child, 0));
            } else {
                put(&mut st, FDT_END_NODE);
            }
        }
        put(&mut st, FDT_END);

        let off_rsv = (HEADER_LEN + 7) & !7; // 8-aligned after the header
        let rsv_len = (self.reserved.len() + 1) * 16;
        let off_struct = off_rsv + rsv_len;
        let off_strings = off_struct + st.len();
        let total = off_strings + strings.len();
        let mut b = Vec::with_capacity(total);
        for x in [
            FDT_MAGIC,
            total as u32,
            off_struct as u32,
            off_strings as u32,
            off_rsv as u32,
            17,
            16,
            self.boot_cpuid_phys,
            strings.len() as u32,
            st.len() as u32,
        ] {
            put(&mut b, x);
        }
        b.resize(off_rsv, 0);
        for &(a, s) in self.reserved.iter().chain(std::iter::once(&(0, 0))) {
            b.extend_from_slice(&a.to_be_bytes());
            b.extend_from_slice(&s.to_be_bytes());
        }
        b.extend_from_slice(&st);
        b.extend_from_slice(&strings);
        b
    }
}

fn write_prop<'a>(st: &mut Vec<u8>, strings: &mut Vec<u8>, offs: &mut HashMap<&'a str, u32>, name: &'a str, val: &[u8]) {
    let off = *offs.entry(name).or_insert_with(|| {
        let o = strings.len() as u32;
        strings.extend_from_slice(name.as_bytes());
        strings.push(0);
        o
    });
    st.extend_from_slice(&FDT_PROP.to_be_bytes());
    st.extend_from_slice(&(val.len() as u32).to_be_bytes());
    st.extend_from_slice(&off.to_be_bytes());
    st.extend_from_slice(val);
    while st.len() & 3 != 0 {
        st.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: Option<[u8; 32]> = Some([7; 32]);

    fn board_tree(cmdline: &str, initrd: Option<(u32, u32)>) -> Node {
        let b = build_dtb_seeded(512 << 20, cmdline, initrd, SEED).unwrap();
        Fdt::parse(&b).unwrap().root
    }

    #[test]
    fn root_memory_and_cpu() {
        let r = board_tree("console=ttyAMA0", None);
        assert_eq!(r.prop_strings("compatible"), Some(vec!["linux,dummy-virt"]));
        assert_eq!(r.prop_u32("#address-cells"), Some(2));
        assert_eq!(r.prop_u32("#size-cells"), Some(2));
        assert_eq!(r.prop_u32("interrupt-parent"), Some(PHANDLE_GIC));
        let m = r.child("memory@40000000").unwrap();
        assert_eq!(m.prop_strings("device_type"), Some(vec!["memory"]));
        assert_eq!(m.prop_cells("reg"), Some(vec![0, 0x4000_0000, 0, 0x2000_0000]));
        let cpus = r.child("cpus").unwrap();
        assert_eq!((cpus.prop_u32("#address-cells"), cpus.prop_u32("#size-cells")), (Some(1), Some(0)));
        let cpu = cpus.child("cpu@0").unwrap();
        assert_eq!(cpu.prop_strings("compatible"), Some(vec!["arm,cortex-a15"]));
        assert_eq!(cpu.prop_strings("device_type"), Some(vec!["cpu"]));
        assert_eq!(cpu.prop_u32("reg"), Some(0));
    }

    #[test]
    fn gic_timer_psci() {
        let r = board_tree("", None);
        let gic = r.child("intc@8000000").unwrap();
        assert_eq!(gic.prop_u32("phandle"), Some(PHANDLE_GIC));
        assert_eq!(gic.prop_strings("compatible"), Some(vec!["arm,cortex-a15-gic"]));
        assert_eq!(gic.prop_u32("#interrupt-cells"), Some(3));
        assert_eq!(gic.prop("interrupt-controller"), Some(&[][..]));
        assert_eq!(gic.prop_cells("reg"), Some(vec![0, 0x0800_0000, 0, 0x1_0000, 0, 0x0801_0000, 0, 0x1_0000]));
        let t = r.child("timer").unwrap();
        assert_eq!(t.prop_strings("compatible"), Some(vec!["arm,armv7-timer"]));
        assert!(t.prop("always-on").is_some());
        assert_eq!(
            t.prop_cells("interrupts"),
            Some(vec![1, 13, 0x104, 1, 14, 0x104, 1, 11, 0x104, 1, 10, 0x104])
        );
        let p = r.child("psci").unwrap();
        assert_eq!(p.prop_strings("compatible"), Some(vec!["arm,psci-0.2", "arm,psci"]));
        assert_eq!(p.prop_strings("method"), Some(vec!["hvc"]));
        assert_eq!(p.prop_u32("cpu_on"), Some(0x8400_0003));
        assert_eq!(p.prop_u32("cpu_off"), Some(0x8400_0002));
        assert_eq!(p.prop_u32("cpu_suspend"), Some(0x8400_0001));
        assert_eq!(p.prop_u32("migrate"), Some(0x8400_0005));
    }

    #[test]
    fn uart_rtc_clock() {
        let r = board_tree("", None);
        let clk = r.child("apb-pclk").unwrap();
        assert_eq!(clk.prop_strings("compatible"), Some(vec!["fixed-clock"]));
        assert_eq!(clk.prop_u32("clock-frequency"), Some(24_000_000));
        assert_eq!(clk.prop_u32("#clock-cells"), Some(0));
        assert_eq!(clk.prop_strings("clock-output-names"), Some(vec!["clk24mhz"]));
        let ph = clk.prop_u32("phandle").unwrap();
        let u = r.child("pl011@9000000").unwrap();
        assert_eq!(u.prop_strings("compatible"), Some(vec!["arm,pl011", "arm,primecell"]));
        assert_eq!(u.prop_cells("reg"), Some(vec![0, 0x0900_0000, 0, 0x1000]));
        assert_eq!(u.prop_cells("interrupts"), Some(vec![0, 1, 4]));
        assert_eq!(u.prop_cells("clocks"), Some(vec![ph, ph]));
        assert_eq!(u.prop_strings("clock-names"), Some(vec!["uartclk", "apb_pclk"]));
        let rtc = r.child("pl031@9010000").unwrap();
        assert_eq!(rtc.prop_strings("compatible"), Some(vec!["arm,pl031", "arm,primecell"]));
        assert_eq!(rtc.prop_cells("interrupts"), Some(vec![0, 2, 4]));
        assert_eq!(rtc.prop_cells("clocks"), Some(vec![ph]));
    }

    #[test]
    fn chosen_bootargs_initrd_seed() {
        let r = board_tree("console=ttyAMA0 quiet", Some((0x4800_0000, 0x4846_ec3f)));
        let c = r.child("chosen").unwrap();
        assert_eq!(c.prop_strings("bootargs"), Some(vec!["console=ttyAMA0 quiet"]));
        assert_eq!(c.prop_strings("stdout-path"), Some(vec!["/pl011@9000000"]));
        assert_eq!(c.prop_u32("linux,initrd-start"), Some(0x4800_0000));
        assert_eq!(c.prop_u32("linux,initrd-end"), Some(0x4846_ec3f));
        assert_eq!(c.prop("rng-seed"), Some(&[7u8; 32][..]));
        // No command line, no initrd: neither property (the kernel then uses its defaults).
        let c = board_tree("", None).child("chosen").unwrap().clone();
        assert!(c.prop("bootargs").is_none() && c.prop("linux,initrd-start").is_none());
        // The public entry point seeds from the host.
        let b = build_dtb(128 << 20, "x", None).unwrap();
        assert!(Fdt::parse(&b).unwrap().root.at("/chosen").unwrap().prop("rng-seed").is_some());
    }

    #[test]
    fn command_line_limits() {
        let ok = "a".repeat(MAX_CMDLINE);
        assert!(build_dtb(1 << 20, &ok, None).is_ok());
        let long = "a".repeat(MAX_CMDLINE + 1);
        let e = build_dtb(1 << 20, &long, None).unwrap_err();
        assert!(e.contains("--append too long"), "{e}");
        assert!(build_dtb(1 << 20, "a\0b", None).unwrap_err().contains("NUL"));
        assert!(patch_dtb(&build_dtb(1 << 20, "", None).unwrap(), 1 << 20, &long, None).is_err());
    }

    #[test]
    fn writer_and_reader_agree() {
        let b = build_dtb_seeded(256 << 20, "x=1", Some((0x4100_0000, 0x4100_1000)), SEED).unwrap();
        let f = Fdt::parse(&b).unwrap();
        let again = f.to_bytes();
        assert_eq!(Fdt::parse(&again).unwrap(), f);
        // vm-fdt lays the blob out the same way, so the bytes agree too.
        assert_eq!(again, b);
    }

    #[test]
    fn patching_sets_memory_chosen_and_drops_stale_initrd() {
        let b = build_dtb_seeded(512 << 20, "old", Some((0x4800_0000, 0x4800_1000)), SEED).unwrap();
        let p = patch_dtb(&b, 64 << 20, "new args", None).unwrap();
        let r = Fdt::parse(&p).unwrap().root;
        assert_eq!(r.at("/memory@40000000").unwrap().prop_cells("reg"), Some(vec![0, 0x4000_0000, 0, 0x0400_0000]));
        let c = r.at("/chosen").unwrap();
        assert_eq!(c.prop_strings("bootargs"), Some(vec!["new args"]));
        assert!(c.prop("linux,initrd-start").is_none() && c.prop("linux,initrd-end").is_none());
        assert_eq!(c.prop("rng-seed"), Some(&[7u8; 32][..]));
        // Everything else is kept as it was.
        assert_eq!(r.child("intc@8000000"), Fdt::parse(&b).unwrap().root.child("intc@8000000"));

        // A minimal tree (1-cell sizes, no memory or chosen node) gets both.
        let bare = Fdt {
            reserved: vec![(0x4000_0000, 0x1000)],
            boot_cpuid_phys: 0,
            root: Node {
                name: String::new(),
                props: vec![("#address-cells".into(), vec![0, 0, 0, 1]), ("#size-cells".into(), vec![0, 0, 0, 1])],
                children: vec![Node { name: "__symbols__".into(), ..Node::default() }],
            },
        };
        let p = patch_dtb(&bare.to_bytes(), 1 << 20, "", Some((0x4008_0000, 0x4008_0100))).unwrap();
        let f = Fdt::parse(&p).unwrap();
        assert_eq!(f.reserved, vec![(0x4000_0000, 0x1000)]);
        assert_eq!(f.root.at("/memory@40000000").unwrap().prop_cells("reg"), Some(vec![0x4000_0000, 0x10_0000]));
        let c = f.root.at("/chosen").unwrap();
        assert!(c.prop("bootargs").is_none());
        assert_eq!(c.prop_u32("linux,initrd-start"), Some(0x4008_0000));
        assert!(f.root.child("__symbols__").is_some());
    }

    #[test]
    fn corrupt_blobs_are_refused() {
        let good = build_dtb_seeded(1 << 20, "x", None, SEED).unwrap();
        assert!(Fdt::parse(b"\x7fELF....").unwrap_err().contains("not a device tree"));
        assert!(Fdt::parse(&good[..3]).unwrap_err().contains("not a device tree"));
        assert!(Fdt::parse(&good[..good.len() - 1]).unwrap_err().contains("truncated"));
        let mut v = good.clone();
        v[20..24].copy_from_slice(&1u32.to_be_bytes());
        assert!(Fdt::parse(&v).unwrap_err().contains("version"));
        let mut v = good.clone();
        v[8..12].copy_from_slice(&0xffff_0000u32.to_be_bytes());
        assert!(Fdt::parse(&v).unwrap_err().contains("corrupt"));
        // An unknown token in the structure block.
        let off_struct = be32(&good, 8).unwrap() as usize;
        let mut v = good.clone();
        v[off_struct..off_struct + 4].copy_from_slice(&0x77u32.to_be_bytes());
        assert!(Fdt::parse(&v).unwrap_err().contains("unknown token"));
        // A property name offset past the strings block.
        let mut v = good.clone();
        let name_off = off_struct + 8 + 8; // FDT_BEGIN_NODE "" (padded) + FDT_PROP len
        v[name_off..name_off + 4].copy_from_slice(&0xffffu32.to_be_bytes());
        assert!(Fdt::parse(&v).unwrap_err().contains("property name"));
        // Every prefix of a good blob with a patched total size fails cleanly.
        for cut in (HEADER_LEN..good.len()).step_by(7) {
            let mut v = good[..cut].to_vec();
            v[4..8].copy_from_slice(&(cut as u32).to_be_bytes());
            let _ = Fdt::parse(&v);
        }
    }
}
