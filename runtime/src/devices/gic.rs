//! GICv2 interrupt controller (Arm IHI 0048B): the distributor and the CPU
//! interface of a uniprocessor machine, as on QEMU's `virt` board.
//!
//! Interrupt IDs: SGIs 0–15 (software, edge), PPIs 16–31 (private peripherals:
//! the generic timer), SPIs 32..`NUM_IRQS` (shared peripherals: UART, RTC, virtio).
//!
//! What this model implements, and why:
//! - No Security Extensions (like QEMU `virt` without `secure=on`). Every interrupt
//!   is in Group 0 and GICD_IGROUPRn is RAZ/WI: Linux runs non-secure, does not
//!   touch the groups and uses no FIQs. Group 0 interrupts are always signalled on
//!   the IRQ line (GICC_CTLR.FIQEn is stored but not acted on), and the Group 1
//!   aliases (GICC_AIAR/AEOIR/AHPPIR) see no interrupts.
//! - One CPU: GICD_ITARGETSRn are RAZ/WI (uniprocessor GICv2, as QEMU) and ignore
//!   writes; GICD_SGIR delivers to CPU 0 when the target list or filter names it;
//!   an SGI always comes from CPU 0 (GICC_IAR bits 12:10 read 0).
//! - SGIs are permanently enabled (their GICD_ISENABLER0 bits are RAO/WI, as on
//!   GIC-400) and edge-triggered (GICD_ICFGR0 is read-only); their pending state is
//!   changed through GICD_SGIR, GICD_SPENDSGIRn and GICD_CPENDSGIRn only. PPI and SPI
//!   configuration (level/edge) is writable.
//! - 8 priority bits, so the minimum binary point is 0 and there are 128 preemption
//!   levels; GICC_APR0–3 hold one bit per level (the active-priorities stack).
//! - Pending state: a level-sensitive interrupt is pending while its input is high
//!   or while a write to GICD_ISPENDRn has latched it (until acknowledge or
//!   GICD_ICPENDRn); an edge-triggered one is latched on a rising edge. An active
//!   interrupt is never signalled again until it is deactivated.
//!
//! `irq_line` is polled at every block boundary, so the highest-priority pending
//! interrupt and the line are recomputed on every state change and cached.

use super::Device;

/// Number of interrupt IDs: 32 private + 96 SPIs (GICD_TYPER.ITLinesNumber = 3).
pub const NUM_IRQS: usize = 128;
const WORDS: usize = NUM_IRQS / 32;
/// GICC_IAR's value when no interrupt can be acknowledged.
pub const SPURIOUS: u32 = 1023;
/// Size of each window (distributor at 0x0800_0000, CPU interface at 0x0801_0000).
pub const DIST_SIZE: u32 = 0x1_0000;
pub const CPU_SIZE: u32 = 0x1_0000;
/// The `Device` impl covers both: distributor at 0, CPU interface at `DIST_SIZE`.
pub const WINDOW: u32 = DIST_SIZE + CPU_SIZE;

// Distributor registers (offsets in its window), IHI 0048B table 4-1.
const GICD_CTLR: u32 = 0x000;
const GICD_TYPER: u32 = 0x004;
const GICD_IIDR: u32 = 0x008;
const GICD_IGROUPR: u32 = 0x080;
const GICD_ISENABLER: u32 = 0x100;
const GICD_ICENABLER: u32 = 0x180;
const GICD_ISPENDR: u32 = 0x200;
const GICD_ICPENDR: u32 = 0x280;
const GICD_ISACTIVER: u32 = 0x300;
const GICD_ICACTIVER: u32 = 0x380;
const GICD_IPRIORITYR: u32 = 0x400;
const GICD_ITARGETSR: u32 = 0x800;
const GICD_ICFGR: u32 = 0xc00;
const GICD_NSACR: u32 = 0xe00;
const GICD_SGIR: u32 = 0xf00;
const GICD_CPENDSGIR: u32 = 0xf10;
const GICD_SPENDSGIR: u32 = 0xf20;
/// Peripheral and component ID registers at 0xfd0..0xffc (PIDR4–7, PIDR0–3,
/// CIDR0–3), as QEMU's GICv2: PIDR2.ArchRev (bits 7:4) = 2.
const GICD_ID_BASE: u32 = 0xfd0;
const GICD_ID: [u32; 12] = [0x04, 0x00, 0x00, 0x00, 0x90, 0xb4, 0x2b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

/// GICD_CTLR.EnableGrp0 (the only group here).
const GICD_CTLR_ENABLE: u32 = 1 << 0;
/// GICD_TYPER: ITLinesNumber = NUM_IRQS / 32 - 1, CPUNumber = 0, no Security Extensions.
const TYPER_VALUE: u32 = (NUM_IRQS / 32 - 1) as u32;
/// GICD_IIDR: implementer ARM (0x43b), as QEMU.
const GICD_IIDR_VALUE: u32 = 0x0000_043b;

// CPU interface registers (offsets in its window), IHI 0048B table 4-2.
const GICC_CTLR: u32 = 0x00;
const GICC_PMR: u32 = 0x04;
const GICC_BPR: u32 = 0x08;
const GICC_IAR: u32 = 0x0c;
const GICC_EOIR: u32 = 0x10;
const GICC_RPR: u32 = 0x14;
const GICC_HPPIR: u32 = 0x18;
const GICC_ABPR: u32 = 0x1c;
const GICC_AIAR: u32 = 0x20;
const GICC_AEOIR: u32 = 0x24;
const GICC_AHPPIR: u32 = 0x28;
const GICC_APR0: u32 = 0xd0;
const GICC_NSAPR0: u32 = 0xe0;
const GICC_IIDR: u32 = 0xfc;
const GICC_DIR: u32 = 0x1000;

/// GICC_CTLR (no Security Extensions layout): EnableGrp0, EnableGrp1, AckCtl, FIQEn,
/// CBPR, the four bypass disables, EOImodeS (bit 9), EOImodeNS (bit 10).
const GICC_CTLR_ENABLE_GRP0: u32 = 1 << 0;
const GICC_CTLR_EOIMODE: u32 = 1 << 9;
const GICC_CTLR_MASK: u32 = 0x7ff;
/// GICC_IIDR: GICv2 architecture, implementer ARM (QEMU's value; Linux's GIC-400
/// test `(iidr & 0xff0fff) == 0x02043b` accepts it).
const GICC_IIDR_VALUE: u32 = 0x0002_043b;
/// Running priority when no interrupt is active (above every real priority).
const IDLE_PRIORITY: u32 = 0x100;

/// One CPU's GICv2: distributor and CPU interface state.
pub struct Gic {
    dist_ctlr: u32,
    /// Per-interrupt bitmaps, bit `id % 32` of word `id / 32`.
    enabled: [u32; WORDS],
    /// Pending latched by an edge, GICD_ISPENDRn or an SGI write.
    latched: [u32; WORDS],
    /// The input line of each PPI/SPI (`set_level`).
    level: [u32; WORDS],
    /// GICD_ICFGRn Int_config[1]: 1 = edge-triggered, 0 = level-sensitive.
    edge: [u32; WORDS],
    active: [u32; WORDS],
    priority: [u8; NUM_IRQS],
    cpu_ctlr: u32,
    pmr: u32,
    bpr: u32,
    abpr: u32,
    /// Active priorities: bit n = preemption level n (group priority >> 1) is active.
    apr: u128,
    /// Cached: the highest-priority pending, enabled, inactive interrupt (SPURIOUS if none).
    hppi: u32,
    /// Cached: whether the CPU's IRQ input is asserted.
    line: bool,
}

impl Default for Gic {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn bit(id: u32) -> (usize, u32) {
    ((id / 32) as usize, 1 << (id % 32))
}

impl Gic {
    /// The reset state: everything disabled, inactive, priority 0, level-sensitive.
    pub fn new() -> Gic {
        let mut g = Gic {
            dist_ctlr: 0,
            enabled: [0; WORDS],
            latched: [0; WORDS],
            level: [0; WORDS],
            edge: [0; WORDS],
            active: [0; WORDS],
            priority: [0; NUM_IRQS],
            cpu_ctlr: 0,
            pmr: 0,
            bpr: 0,
            abpr: 1,
            apr: 0,
            hppi: SPURIOUS,
            line: false,
        };
        g.enabled[0] = 0xffff; // SGIs: permanently enabled
        g.edge[0] = 0xffff; // SGIs: edge-triggered
        g
    }

    /// Drives the input line of interrupt `irq` (a PPI or SPI; SGIs have no line).
    /// A level-sensitive interrupt is pending while the line is high; an
    /// edge-triggered one becomes pending on a rising edge.
    pub fn set_level(&mut self, irq: u32, level: bool) {
        if !(16..NUM_IRQS as u32).contains(&irq) {
            return;
        }
        let (w, m) = bit(irq);
        let old = self.level[w] & m != 0;
        if old == level {
            return;
        }
        if level {
            self.level[w] |= m;
            if self.edge[w] & m != 0 {
                self.latched[w] |= m;
            }
        } else {
            self.level[w] &= !m;
        }
        self.update();
    }

    /// Whether the CPU's IRQ input is asserted. O(1): cached by every state change.
    #[inline]
    pub fn irq_line(&self) -> bool {
        self.line
    }

    /// Whether interrupt `id` is pending (for tests and the debugger).
    pub fn is_pending(&self, id: u32) -> bool {
        (id as usize) < NUM_IRQS && self.pending_word((id / 32) as usize) & bit(id).1 != 0
    }
    /// Whether interrupt `id` is active.
    pub fn is_active(&self, id: u32) -> bool {
        (id as usize) < NUM_IRQS && self.active[(id / 32) as usize] & bit(id).1 != 0
    }

    #[inline]
    fn pending_word(&self, w: usize) -> u32 {
        self.latched[w] | (self.level[w] & !self.edge[w])
    }

    /// The group priority of `prio` under the binary point (the bits used for
    /// preemption). Binary point 7 leaves no group bits: nothing preempts.
    fn group_priority(&self, prio: u32) -> u32 {
        prio & (0xff << (self.bpr + 1)) & 0xff
    }

    fn running_priority(&self) -> u32 {
        if self.apr == 0 {
            IDLE_PRIORITY
        } else {
            self.apr.trailing_zeros() << 1
        }
    }

    /// Recomputes the highest-priority pending interrupt and the IRQ line.
    fn update(&mut self) {
        let mut best = SPURIOUS;
        let mut best_prio = IDLE_PRIORITY;
        for w in 0..WORDS {
            let mut cand = self.pending_word(w) & self.enabled[w] & !self.active[w];
            while cand != 0 {
                let id = (w * 32) as u32 + cand.trailing_zeros();
                cand &= cand - 1;
                let p = self.priority[id as usize] as u32;
                // Equal priorities: the lowest ID wins (IDs are visited in order).
                if p < best_prio {
                    best_prio = p;
                    best = id;
                }
            }
        }
        if self.dist_ctlr & GICD_CTLR_ENABLE == 0 {
            best = SPURIOUS;
        }
        self.hppi = best;
        self.line = best != SPURIOUS
            && self.cpu_ctlr & GICC_CTLR_ENABLE_GRP0 != 0
            && best_prio < self.pmr
            && (self.apr == 0 || (self.bpr < 7 && self.group_priority(best_prio) < self.running_priority()));
    }

    /// GICC_IAR: acknowledges the interrupt the CPU is being signalled (pending →
    /// active), raising the running priority; 1023 when there is none.
    fn acknowledge(&mut self) -> u32 {
        if !self.line {
            return SPURIOUS;
        }
        let id = self.hppi;
        let (w, m) = bit(id);
        self.latched[w] &= !m;
        self.active[w] |= m;
        let gp = self.group_priority(self.priority[id as usize] as u32);
        self.apr |= 1u128 << (gp >> 1);
        self.update();
        // Bits 12:10 (CPUID of an SGI's source) are 0: the only CPU sent it.
        id
    }

    /// GICC_EOIR: priority drop, and deactivation unless EOImode is set.
    fn end_of_interrupt(&mut self, val: u32) {
        let id = val & 0x3ff;
        if id as usize >= NUM_IRQS {
            return; // spurious IDs 1020–1023 are ignored
        }
        if self.apr != 0 {
            // The highest active priority is dropped (software EOIs in nesting order).
            self.apr &= self.apr - 1;
        }
        if self.cpu_ctlr & GICC_CTLR_EOIMODE == 0 {
            let (w, m) = bit(id);
            self.active[w] &= !m;
        }
        self.update();
    }

    /// GICC_DIR: deactivates an interrupt (used when GICC_CTLR.EOImode is set).
    fn deactivate(&mut self, val: u32) {
        let id = val & 0x3ff;
        if (id as usize) < NUM_IRQS {
            let (w, m) = bit(id);
            self.active[w] &= !m;
            self.update();
        }
    }

    /// GICD_SGIR: generates an SGI on the CPUs named by the filter and target list.
    fn send_sgi(&mut self, val: u32) {
        let to_self = match (val >> 24) & 3 {
            0 => (val >> 16) & 1 != 0, // CPU 0 in the target list
            1 => false,                // every CPU but the requester: none
            2 => true,                 // the requester only
            _ => false,                // reserved
        };
        if to_self {
            self.latched[0] |= 1 << (val & 0xf);
            self.update();
        }
    }

    /// Reads `size` bytes at `offset` in the distributor's window.
    pub fn dist_read(&mut self, offset: u32, size: u32) -> u32 {
        let word = self.dist_read32(offset & !3);
        extract(word, offset, size)
    }

    fn dist_read32(&self, off: u32) -> u32 {
        // Index of the register within its bank: bank word i covers IDs 32i..32i+31.
        let i = |base: u32| ((off - base) / 4) as usize;
        match off {
            GICD_CTLR => self.dist_ctlr,
            GICD_TYPER => TYPER_VALUE,
            GICD_IIDR => GICD_IIDR_VALUE,
            GICD_IGROUPR..=0x0fc => 0, // all Group 0
            GICD_ISENABLER..=0x17c => bank(&self.enabled, i(GICD_ISENABLER)),
            GICD_ICENABLER..=0x1fc => bank(&self.enabled, i(GICD_ICENABLER)),
            GICD_ISPENDR..=0x27c => self.pending_bank(i(GICD_ISPENDR)),
            GICD_ICPENDR..=0x2fc => self.pending_bank(i(GICD_ICPENDR)),
            GICD_ISACTIVER..=0x37c => bank(&self.active, i(GICD_ISACTIVER)),
            GICD_ICACTIVER..=0x3fc => bank(&self.active, i(GICD_ICACTIVER)),
            GICD_IPRIORITYR..=0x7fc => {
                let first = (off - GICD_IPRIORITYR) as usize;
                (0..4).map(|b| (self.priority.get(first + b).copied().unwrap_or(0) as u32) << (8 * b)).sum()
            }
            // GICv2 (IHI 0048B 4.3.12): in a uniprocessor implementation the
            // GICD_ITARGETSRs are RAZ/WI (QEMU's one-CPU GIC does the same).
            GICD_ITARGETSR..=0xbfc => 0,
            GICD_ICFGR..=0xcfc => {
                // Two bits per interrupt; Int_config[1] (the odd bit) is the edge bit.
                let first = (off - GICD_ICFGR) * 4;
                if first as usize >= NUM_IRQS {
                    return 0;
                }
                let e = self.edge[(first / 32) as usize] >> (first % 32);
                (0..16).filter(|b| e & (1 << b) != 0).map(|b| 2 << (2 * b)).sum()
            }
            GICD_NSACR..=0xefc => 0,
            GICD_CPENDSGIR..=0xf2c => {
                // One byte per SGI, one bit per source CPU: bit 0 of each byte here.
                let first = off & 0xc; // SGI of byte 0
                (0..4).filter(|b| self.latched[0] & (1 << (first + b)) != 0).map(|b| 1 << (8 * b)).sum()
            }
            GICD_ID_BASE..=0xffc => GICD_ID[((off - GICD_ID_BASE) / 4) as usize],
            _ => 0, // GICD_SGIR is write-only; reserved and IMPLEMENTATION DEFINED space RAZ
        }
    }

    fn pending_bank(&self, i: usize) -> u32 {
        if i < WORDS {
            self.pending_word(i)
        } else {
            0
        }
    }

    /// Writes the low `size` bytes of `val` at `offset` in the distributor's window.
    pub fn dist_write(&mut self, offset: u32, size: u32, val: u32) {
        let off = offset & !3;
        let byte_accessible = (GICD_IPRIORITYR..GICD_ICFGR).contains(&off) || (GICD_CPENDSGIR..=0xf2c).contains(&off);
        if byte_accessible {
            for b in 0..size.min(4) {
                self.dist_write_byte(offset + b, (val >> (8 * b)) as u8);
            }
        } else if size >= 4 {
            self.dist_write32(off, val);
        } else {
            // Sub-word writes to word-only registers are UNPREDICTABLE: set/clear
            // registers take the bits in place, plain registers merge them.
            let sh = 8 * (offset & 3);
            let mask = (if size == 1 { 0xffu32 } else { 0xffff }) << sh;
            let v = (val << sh) & mask;
            if (GICD_ISENABLER..GICD_IPRIORITYR).contains(&off) {
                self.dist_write32(off, v);
            } else if off != GICD_SGIR {
                let old = self.dist_read32(off);
                self.dist_write32(off, (old & !mask) | v);
            }
        }
        self.update();
    }

    /// The byte-accessible registers: priorities, targets, SGI pending.
    fn dist_write_byte(&mut self, offset: u32, b: u8) {
        match offset {
            GICD_IPRIORITYR..=0x7ff => {
                if let Some(p) = self.priority.get_mut((offset - GICD_IPRIORITYR) as usize) {
                    *p = b;
                }
            }
            GICD_CPENDSGIR..=0xf1f if b & 1 != 0 => self.latched[0] &= !(1 << (offset - GICD_CPENDSGIR)),
            GICD_SPENDSGIR..=0xf2f if b & 1 != 0 => self.latched[0] |= 1 << (offset - GICD_SPENDSGIR),
            _ => {} // GICD_ITARGETSRn: fixed (CPU 0)
        }
    }

    /// Whole-word writes to the word-only registers. The caller updates the cache.
    fn dist_write32(&mut self, off: u32, val: u32) {
        let i = |base: u32| ((off - base) / 4) as usize;
        match off {
            // EnableGrp1 is kept for software to read back; only Group 0 exists.
            GICD_CTLR => self.dist_ctlr = val & 3,
            GICD_ISENABLER..=0x17c => {
                if let Some(w) = self.enabled.get_mut(i(GICD_ISENABLER)) {
                    *w |= val;
                }
            }
            GICD_ICENABLER..=0x1fc => {
                let n = i(GICD_ICENABLER);
                // SGI enables are RAO/WI.
                let keep = if n == 0 { 0xffff } else { 0 };
                if let Some(w) = self.enabled.get_mut(n) {
                    *w &= !val | keep;
                }
            }
            GICD_ISPENDR..=0x27c => {
                let n = i(GICD_ISPENDR);
                // SGI pending bits are read-only here (GICD_SPENDSGIRn sets them).
                let v = if n == 0 { val & !0xffff } else { val };
                if let Some(w) = self.latched.get_mut(n) {
                    *w |= v;
                }
            }
            GICD_ICPENDR..=0x2fc => {
                // Clears the latch only: a level-sensitive interrupt whose line is
                // still high stays pending.
                let n = i(GICD_ICPENDR);
                let v = if n == 0 { val & !0xffff } else { val };
                if let Some(w) = self.latched.get_mut(n) {
                    *w &= !v;
                }
            }
            GICD_ISACTIVER..=0x37c => {
                if let Some(w) = self.active.get_mut(i(GICD_ISACTIVER)) {
                    *w |= val;
                }
            }
            GICD_ICACTIVER..=0x3fc => {
                if let Some(w) = self.active.get_mut(i(GICD_ICACTIVER)) {
                    *w &= !val;
                }
            }
            GICD_ICFGR..=0xcfc => {
                // SGIs (GICD_ICFGR0) are read-only; PPIs and SPIs are configurable.
                let first = (off - GICD_ICFGR) * 4;
                if first < 16 || first as usize >= NUM_IRQS {
                    return;
                }
                let e: u32 = (0..16).filter(|b| val & (2 << (2 * b)) != 0).map(|b| 1 << b).sum();
                let w = &mut self.edge[(first / 32) as usize];
                let sh = first % 32;
                *w = (*w & !(0xffff << sh)) | (e << sh);
            }
            GICD_SGIR => self.send_sgi(val),
            _ => {} // RO, RAZ/WI (IGROUPR, NSACR, ITARGETSR) and reserved
        }
    }

    /// Reads `size` bytes at `offset` in the CPU interface's window. Reading
    /// GICC_IAR acknowledges an interrupt.
    pub fn cpu_read(&mut self, offset: u32, size: u32) -> u32 {
        let word = match offset & !3 {
            GICC_CTLR => self.cpu_ctlr,
            GICC_PMR => self.pmr,
            GICC_BPR => self.bpr,
            GICC_IAR => self.acknowledge(),
            GICC_RPR => self.running_priority().min(0xff),
            GICC_HPPIR => self.hppi,
            GICC_ABPR => self.abpr,
            GICC_AIAR | GICC_AHPPIR => SPURIOUS, // no Group 1 interrupts
            o @ GICC_APR0..=0xdc => (self.apr >> (8 * (o - GICC_APR0))) as u32,
            GICC_NSAPR0..=0xec => 0,
            GICC_IIDR => GICC_IIDR_VALUE,
            _ => 0, // write-only (EOIR, AEOIR, DIR) and reserved
        };
        extract(word, offset, size)
    }

    /// Writes the low `size` bytes of `val` at `offset` in the CPU interface's window
    /// (its registers are word-sized: sub-word writes act on the whole register).
    pub fn cpu_write(&mut self, offset: u32, _size: u32, val: u32) {
        match offset & !3 {
            GICC_CTLR => self.cpu_ctlr = val & GICC_CTLR_MASK,
            GICC_PMR => self.pmr = val & 0xff,
            // 8 priority bits: the minimum binary point is 0 (1 for the Group 1 alias).
            GICC_BPR => self.bpr = val & 7,
            GICC_ABPR => self.abpr = (val & 7).max(1),
            GICC_EOIR => self.end_of_interrupt(val),
            GICC_DIR => self.deactivate(val),
            GICC_AEOIR => {} // no Group 1 interrupts
            o @ GICC_APR0..=0xdc => {
                // Software restores the active priorities it saved (power management).
                let sh = 8 * (o - GICC_APR0);
                self.apr = (self.apr & !(0xffff_ffffu128 << sh)) | ((val as u128) << sh);
            }
            _ => {} // read-only and reserved
        }
        self.update();
    }
}

/// Word `i` of a per-interrupt bitmap, zero beyond the implemented interrupts.
fn bank(b: &[u32; WORDS], i: usize) -> u32 {
    b.get(i).copied().unwrap_or(0)
}

/// The `size` bytes at `offset` out of the aligned word containing them.
fn extract(word: u32, offset: u32, size: u32) -> u32 {
    let sh = 8 * (offset & 3);
    match size {
        1 => (word >> sh) & 0xff,
        2 => (word >> sh) & 0xffff,
        _ => word,
    }
}

/// Both windows as one device: the distributor at 0, the CPU interface at `DIST_SIZE`
/// (the board maps it at 0x0800_0000 with size `WINDOW`).
impl Device for Gic {
    fn name(&self) -> &'static str {
        "gic"
    }
    fn read(&mut self, offset: u32, size: u32) -> u32 {
        if offset < DIST_SIZE {
            self.dist_read(offset, size)
        } else {
            self.cpu_read(offset - DIST_SIZE, size)
        }
    }
    fn write(&mut self, offset: u32, size: u32, val: u32) {
        if offset < DIST_SIZE {
            self.dist_write(offset, size, val)
        } else {
            self.cpu_write(offset - DIST_SIZE, size, val)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UART: u32 = 33; // SPI 1
    const TIMER: u32 = 27; // virtual timer PPI

    /// A GIC set up the way Linux does: distributor and CPU interface on,
    /// PMR 0xf0, every priority 0xa0.
    fn linux_gic() -> Gic {
        let mut g = Gic::new();
        for off in (GICD_IPRIORITYR..GICD_IPRIORITYR + NUM_IRQS as u32).step_by(4) {
            g.dist_write(off, 4, 0xa0a0_a0a0);
        }
        g.dist_write(GICD_CTLR, 4, 1);
        g.cpu_write(GICC_PMR, 4, 0xf0);
        g.cpu_write(GICC_CTLR, 4, 1);
        g
    }

    fn enable(g: &mut Gic, id: u32) {
        g.dist_write(GICD_ISENABLER + 4 * (id / 32), 4, 1 << (id % 32));
    }

    #[test]
    fn identification() {
        let mut g = Gic::new();
        assert_eq!(g.dist_read(GICD_TYPER, 4) & 0x1f, 3, "ITLinesNumber: 128 interrupts");
        assert_eq!((g.dist_read(GICD_TYPER, 4) >> 5) & 7, 0, "one CPU");
        assert_eq!((g.dist_read(0xfe8, 4) >> 4) & 0xf, 2, "PIDR2.ArchRev = GICv2");
        assert_eq!(g.dist_read(0xff0, 4), 0x0d);
        assert_eq!(g.dist_read(0xffc, 4), 0xb1);
        assert_eq!(g.cpu_read(GICC_IIDR, 4) & 0xff0fff, 0x02043b);
        assert_eq!(g.dist_read(GICD_IIDR, 4) & 0xfff, 0x43b);
    }

    #[test]
    fn spi_level_acknowledge_and_eoi() {
        let mut g = linux_gic();
        g.set_level(UART, true);
        assert!(!g.irq_line(), "disabled interrupt is not signalled");
        assert!(g.is_pending(UART));
        assert_eq!(g.dist_read(GICD_ISPENDR + 4, 4), 1 << 1);
        enable(&mut g, UART);
        assert!(g.irq_line());
        assert_eq!(g.cpu_read(GICC_HPPIR, 4), UART);
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0xff, "idle");
        assert_eq!(g.cpu_read(GICC_IAR, 4), UART);
        assert!(!g.irq_line(), "active interrupt is not signalled again");
        assert!(g.is_active(UART) && g.is_pending(UART), "line still high: active and pending");
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0xa0);
        assert_eq!(g.cpu_read(GICC_IAR, 4), SPURIOUS);
        // EOI with the line still high: pending again at once.
        g.cpu_write(GICC_EOIR, 4, UART);
        assert!(!g.is_active(UART));
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0xff);
        assert!(g.irq_line());
        assert_eq!(g.cpu_read(GICC_IAR, 4), UART);
        // The device drops its line while the handler runs: nothing after EOI.
        g.set_level(UART, false);
        assert!(!g.is_pending(UART) && g.is_active(UART));
        g.cpu_write(GICC_EOIR, 4, UART);
        assert!(!g.irq_line());
        assert_eq!(g.cpu_read(GICC_IAR, 4), SPURIOUS);
        assert_eq!(g.cpu_read(GICC_HPPIR, 4), SPURIOUS);
    }

    #[test]
    fn enables_gate_the_line() {
        let mut g = linux_gic();
        enable(&mut g, UART);
        g.set_level(UART, true);
        assert!(g.irq_line());
        g.dist_write(GICD_ICENABLER + 4, 4, 1 << 1);
        assert!(!g.irq_line());
        assert_eq!(g.dist_read(GICD_ISENABLER + 4, 4), 0);
        enable(&mut g, UART);
        g.cpu_write(GICC_CTLR, 4, 0);
        assert!(!g.irq_line(), "CPU interface off");
        assert_eq!(g.cpu_read(GICC_IAR, 4), SPURIOUS);
        g.cpu_write(GICC_CTLR, 4, 1);
        g.dist_write(GICD_CTLR, 4, 0);
        assert!(!g.irq_line(), "distributor off");
        assert_eq!(g.cpu_read(GICC_IAR, 4), SPURIOUS);
        g.dist_write(GICD_CTLR, 4, 1);
        assert!(g.irq_line());
    }

    #[test]
    fn priority_mask_and_preemption() {
        let mut g = linux_gic();
        let (a, b, c) = (40, 41, 42);
        for id in [a, b, c] {
            enable(&mut g, id);
        }
        g.dist_write(GICD_IPRIORITYR + a, 1, 0x80);
        g.dist_write(GICD_IPRIORITYR + b, 1, 0x40);
        g.dist_write(GICD_IPRIORITYR + c, 1, 0xf0);
        assert_eq!(g.dist_read(GICD_IPRIORITYR + 40, 4), 0xa0f0_4080, "byte-accessible");
        assert_eq!(g.dist_read(GICD_IPRIORITYR + 41, 1), 0x40);
        // Priority 0xf0 is not below PMR 0xf0: masked.
        g.set_level(c, true);
        assert!(!g.irq_line());
        assert_eq!(g.cpu_read(GICC_HPPIR, 4), c, "HPPIR ignores the mask");
        assert_eq!(g.cpu_read(GICC_IAR, 4), SPURIOUS);
        g.cpu_write(GICC_PMR, 4, 0xff);
        assert!(g.irq_line());
        g.cpu_write(GICC_PMR, 4, 0xf0);
        // a (0x80) is taken; b (0x40) preempts it; a second 0x80 cannot.
        g.set_level(a, true);
        assert_eq!(g.cpu_read(GICC_IAR, 4), a);
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0x80);
        g.dist_write(GICD_IPRIORITYR + c, 1, 0x80);
        g.set_level(c, false);
        g.set_level(c, true);
        assert!(!g.irq_line(), "same priority does not preempt");
        g.set_level(b, true);
        assert!(g.irq_line());
        assert_eq!(g.cpu_read(GICC_IAR, 4), b);
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0x40);
        assert!(!g.irq_line());
        // Nested EOIs drop to the previous running priority.
        g.set_level(b, false);
        g.cpu_write(GICC_EOIR, 4, b);
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0x80);
        assert!(!g.irq_line(), "c (0x80) still blocked by a");
        g.set_level(a, false);
        g.cpu_write(GICC_EOIR, 4, a);
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0xff);
        assert!(g.irq_line());
        assert_eq!(g.cpu_read(GICC_IAR, 4), c);
    }

    #[test]
    fn binary_point_limits_preemption() {
        let mut g = linux_gic();
        enable(&mut g, 40);
        enable(&mut g, 41);
        g.dist_write(GICD_IPRIORITYR + 40, 1, 0x80);
        g.dist_write(GICD_IPRIORITYR + 41, 1, 0x70);
        g.cpu_write(GICC_BPR, 4, 4); // group priority = bits 7:5
        g.set_level(40, true);
        assert_eq!(g.cpu_read(GICC_IAR, 4), 40);
        g.set_level(41, true);
        assert!(g.irq_line(), "0x60 group < 0x80 group");
        g.cpu_write(GICC_BPR, 4, 6); // group priority = bit 7 only: 0x70 and 0x80 differ
        assert!(g.irq_line());
        g.cpu_write(GICC_BPR, 4, 7); // no preemption at all
        assert!(!g.irq_line());
    }

    #[test]
    fn equal_priority_lowest_id_first() {
        let mut g = linux_gic();
        for id in [50, 45, 60] {
            enable(&mut g, id);
            g.set_level(id, true);
        }
        assert_eq!(g.cpu_read(GICC_IAR, 4), 45);
        g.cpu_write(GICC_EOIR, 4, 45);
        g.set_level(45, false);
        assert_eq!(g.cpu_read(GICC_IAR, 4), 50);
    }

    #[test]
    fn sgi_through_sgir() {
        let mut g = linux_gic();
        assert_eq!(g.dist_read(GICD_ISENABLER, 4) & 0xffff, 0xffff, "SGIs always enabled");
        g.dist_write(GICD_ICENABLER, 4, 0xffff_ffff);
        assert_eq!(g.dist_read(GICD_ISENABLER, 4), 0xffff);
        assert_eq!(g.dist_read(GICD_ICFGR, 4), 0xaaaa_aaaa, "SGIs are edge-triggered");
        // Filter 1 (all but self): nothing on a uniprocessor.
        g.dist_write(GICD_SGIR, 4, 1 << 24 | 3);
        assert!(!g.irq_line());
        // Target list naming CPU 1 only: nothing.
        g.dist_write(GICD_SGIR, 4, 2 << 16 | 3);
        assert!(!g.irq_line());
        // Target list with CPU 0.
        g.dist_write(GICD_SGIR, 4, 1 << 16 | 3);
        assert!(g.irq_line());
        assert_eq!(g.dist_read(GICD_SPENDSGIR, 4), 1 << 24, "SGI 3 from CPU 0");
        assert_eq!(g.dist_read(GICD_ISPENDR, 4), 1 << 3);
        let iar = g.cpu_read(GICC_IAR, 4);
        assert_eq!(iar, 3, "CPUID bits 12:10 = 0");
        assert!(!g.is_pending(3), "edge: acknowledge clears pending");
        g.cpu_write(GICC_EOIR, 4, iar);
        assert!(!g.irq_line());
        // Filter 2 (self).
        g.dist_write(GICD_SGIR, 4, 2 << 24 | 15);
        assert_eq!(g.cpu_read(GICC_IAR, 4), 15);
        g.cpu_write(GICC_EOIR, 4, 15);
        // GICD_ISPENDR cannot set SGIs; SPENDSGIR/CPENDSGIR can, bytewise.
        g.dist_write(GICD_ISPENDR, 4, 1 << 5);
        assert!(!g.is_pending(5));
        g.dist_write(GICD_SPENDSGIR + 5, 1, 1);
        assert!(g.is_pending(5) && g.irq_line());
        g.dist_write(GICD_CPENDSGIR + 4, 4, 0x100);
        assert!(!g.is_pending(5) && !g.irq_line());
    }

    #[test]
    fn ppis_are_banked_to_cpu0() {
        let mut g = linux_gic();
        // Uniprocessor: the target registers are RAZ/WI.
        assert_eq!(g.dist_read(GICD_ITARGETSR, 4), 0);
        assert_eq!(g.dist_read(GICD_ITARGETSR + 27, 1), 0);
        g.dist_write(GICD_ITARGETSR + 32, 4, 0x0202_0202);
        assert_eq!(g.dist_read(GICD_ITARGETSR + 32, 4), 0, "write ignored");
        assert_eq!(g.dist_read(GICD_ITARGETSR + NUM_IRQS as u32, 4), 0, "unimplemented");
        // Groups are RAZ/WI.
        g.dist_write(GICD_IGROUPR + 4, 4, 0xffff_ffff);
        assert_eq!(g.dist_read(GICD_IGROUPR + 4, 4), 0);
        // The virtual timer PPI as Linux configures it: level, enabled.
        g.dist_write(GICD_ICFGR + 4, 4, 0);
        enable(&mut g, TIMER);
        g.set_level(TIMER, true);
        assert_eq!(g.cpu_read(GICC_IAR, 4), TIMER);
        g.set_level(TIMER, false); // the handler reprograms the timer
        g.cpu_write(GICC_EOIR, 4, TIMER);
        assert!(!g.irq_line());
        // Lines of unimplemented interrupts and SGIs are ignored.
        g.set_level(NUM_IRQS as u32, true);
        g.set_level(2, true);
        assert!(!g.irq_line());
    }

    #[test]
    fn edge_versus_level() {
        let mut g = linux_gic();
        let id = 48;
        enable(&mut g, id);
        // Edge: config bit 2F+1 of ICFGR3 (IDs 48..63), F = 0.
        g.dist_write(GICD_ICFGR + 12, 4, 0b10);
        assert_eq!(g.dist_read(GICD_ICFGR + 12, 4), 0b10);
        g.set_level(id, true);
        g.set_level(id, false);
        assert!(g.is_pending(id), "edge latched after the line fell");
        assert_eq!(g.cpu_read(GICC_IAR, 4), id);
        assert!(!g.is_pending(id));
        g.set_level(id, true); // a second edge while active: active and pending
        assert!(g.is_pending(id) && !g.irq_line());
        g.cpu_write(GICC_EOIR, 4, id);
        assert!(g.irq_line());
        assert_eq!(g.cpu_read(GICC_IAR, 4), id);
        g.cpu_write(GICC_EOIR, 4, id);
        assert!(!g.irq_line(), "line held high: no new edge");
        g.set_level(id, false);
        // Level: pending only while high; ICPENDR cannot clear a high line.
        g.dist_write(GICD_ICFGR + 12, 4, 0);
        g.set_level(id, true);
        g.dist_write(GICD_ICPENDR + 4, 4, 1 << 16);
        assert!(g.is_pending(id));
        g.set_level(id, false);
        assert!(!g.is_pending(id));
        // ISPENDR latches a level-sensitive interrupt until acknowledged.
        g.dist_write(GICD_ISPENDR + 4, 4, 1 << 16);
        assert!(g.is_pending(id));
        assert_eq!(g.cpu_read(GICC_IAR, 4), id);
        assert!(!g.is_pending(id));
        g.cpu_write(GICC_EOIR, 4, id);
        g.dist_write(GICD_ISPENDR + 4, 4, 1 << 16);
        g.dist_write(GICD_ICPENDR + 4, 4, 1 << 16);
        assert!(!g.is_pending(id) && !g.irq_line());
    }

    #[test]
    fn eoimode_splits_drop_and_deactivate() {
        let mut g = linux_gic();
        g.cpu_write(GICC_CTLR, 4, 1 | GICC_CTLR_EOIMODE);
        enable(&mut g, UART);
        g.set_level(UART, true);
        assert_eq!(g.cpu_read(GICC_IAR, 4), UART);
        g.set_level(UART, false);
        g.cpu_write(GICC_EOIR, 4, UART);
        assert_eq!(g.cpu_read(GICC_RPR, 4), 0xff, "priority dropped");
        assert!(g.is_active(UART), "still active");
        g.set_level(UART, true);
        assert!(!g.irq_line());
        g.cpu_write(GICC_DIR, 4, UART);
        assert!(!g.is_active(UART) && g.irq_line());
    }

    #[test]
    fn active_registers_and_spurious_eoi() {
        let mut g = linux_gic();
        enable(&mut g, UART);
        g.dist_write(GICD_ISACTIVER + 4, 4, 1 << 1);
        g.set_level(UART, true);
        assert!(!g.irq_line());
        assert_eq!(g.dist_read(GICD_ICACTIVER + 4, 4), 1 << 1);
        g.dist_write(GICD_ICACTIVER + 4, 4, 0xffff_ffff);
        assert!(g.irq_line());
        g.cpu_write(GICC_EOIR, 4, SPURIOUS); // ignored
        assert_eq!(g.cpu_read(GICC_IAR, 4), UART);
        assert_eq!(g.cpu_read(GICC_APR0, 4), 0, "preemption level 0xa0 >> 1 = 80 is in APR2");
        assert_eq!(g.cpu_read(GICC_APR0 + 8, 4), 1 << (80 - 64));
    }

    #[test]
    fn device_windows() {
        let mut g = linux_gic();
        let d: &mut dyn Device = &mut g;
        assert_eq!(d.read(GICD_CTLR, 4), 1);
        assert_eq!(d.read(DIST_SIZE + GICC_PMR, 4), 0xf0);
        d.write(DIST_SIZE + GICC_PMR, 4, 0x80);
        assert_eq!(d.read(DIST_SIZE + GICC_PMR, 1), 0x80);
        assert_eq!(d.read(0xfe8, 1), 0x2b);
    }
}
