//! Guest RAM (a memfd) and views: 4 GiB host reservations into which RAM pages
//! are mapped at `base + guest address`.

use std::io;

/// Size of a view: the whole 32-bit guest address space plus a guard page so
/// that any access width at 0xffff_ffff stays inside the reservation.
const VIEW_BYTES: usize = (1usize << 32) + 0x1000;

/// Guest RAM backed by one memfd.
pub struct GuestRam {
    fd: i32,
    /// Guest physical address of the first byte.
    pub start: u32,
    pub size: u32,
}

impl GuestRam {
    /// Creates `size` bytes of zeroed RAM at guest physical `start`.
    pub fn new(start: u32, size: u32) -> io::Result<GuestRam> {
        if size == 0 || !size.is_multiple_of(0x1000) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "RAM size must be a non-zero multiple of 4 KiB"));
        }
        if (start as u64) + (size as u64) > (1u64 << 32) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "RAM does not fit in the 32-bit physical address space"));
        }
        // SAFETY: memfd_create with a valid NUL-terminated name; the result is checked.
        let fd = unsafe { libc::memfd_create(c"hspt-guest-ram".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a memfd we own.
        if unsafe { libc::ftruncate(fd, size as libc::off_t) } != 0 {
            let e = io::Error::last_os_error();
            // SAFETY: closing our own fd.
            unsafe { libc::close(fd) };
            return Err(e);
        }
        Ok(GuestRam { fd, start, size })
    }

    pub fn fd(&self) -> i32 {
        self.fd
    }

    pub fn contains(&self, pa: u32, len: u32) -> bool {
        let off = pa.wrapping_sub(self.start) as u64;
        off + len as u64 <= self.size as u64 && pa >= self.start
    }
}

impl Drop for GuestRam {
    fn drop(&mut self) {
        // SAFETY: closing the fd this struct owns.
        unsafe { libc::close(self.fd) };
    }
}

/// A 4 GiB view of guest memory.
pub struct View {
    base: *mut u8,
}

// SAFETY: the view is plain host memory; access is coordinated by the VM (one
// CPU thread), and moving the owner between threads is sound.
unsafe impl Send for View {}

impl View {
    /// Reserves a view with nothing mapped (every access faults).
    pub fn reserve() -> io::Result<View> {
        // SAFETY: an anonymous PROT_NONE reservation; the kernel picks the address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                VIEW_BYTES,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(View { base: p as *mut u8 })
    }

    /// A view with all of `ram` mapped at its physical addresses, read/write.
    pub fn physical(ram: &GuestRam) -> io::Result<View> {
        let v = View::reserve()?;
        v.map(ram, ram.start, ram.start, ram.size, true)?;
        Ok(v)
    }

    pub fn base(&self) -> *mut u8 {
        self.base
    }

    /// Maps `len` bytes of RAM at physical `pa` to guest address `va` in this view.
    pub fn map(&self, ram: &GuestRam, va: u32, pa: u32, len: u32, writable: bool) -> io::Result<()> {
        if !ram.contains(pa, len) || !va.is_multiple_of(0x1000) || !pa.is_multiple_of(0x1000) || !len.is_multiple_of(0x1000) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "mapping outside RAM or unaligned"));
        }
        if va as u64 + len as u64 > 1u64 << 32 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "mapping beyond 4 GiB"));
        }
        let prot = libc::PROT_READ | if writable { libc::PROT_WRITE } else { 0 };
        // SAFETY: the target range [base+va, base+va+len) lies inside our own
        // reservation (checked above), so MAP_FIXED replaces only our pages.
        let p = unsafe {
            libc::mmap(
                self.base.add(va as usize) as *mut libc::c_void,
                len as usize,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                ram.fd(),
                (pa - ram.start) as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Reads `N` bytes at guest address `a` if `[a, a+N)` is inside `ram` at its
    /// physical address (the physical view maps exactly that).
    #[inline]
    pub fn read_phys<const N: usize>(&self, ram: &GuestRam, a: u32) -> Option<[u8; N]> {
        if !ram.contains(a, N as u32) {
            return None;
        }
        let mut out = [0u8; N];
        // SAFETY: [a, a+N) is RAM, which the physical view maps readable at base + a.
        unsafe { std::ptr::copy_nonoverlapping(self.base.add(a as usize), out.as_mut_ptr(), N) };
        Some(out)
    }

    /// Writes bytes at guest address `a` if the range is RAM (physical view).
    #[inline]
    pub fn write_phys(&self, ram: &GuestRam, a: u32, bytes: &[u8]) -> bool {
        if !ram.contains(a, bytes.len() as u32) {
            return false;
        }
        // SAFETY: the range is RAM, mapped writable at base + a in the physical view.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.base.add(a as usize), bytes.len()) };
        true
    }
}

impl Drop for View {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the reservation this view made.
        unsafe { libc::munmap(self.base as *mut libc::c_void, VIEW_BYTES) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn physical_view_maps_ram_and_nothing_else() {
        let ram = GuestRam::new(0x4000_0000, 0x10_0000).unwrap();
        let v = View::physical(&ram).unwrap();
        assert!(v.write_phys(&ram, 0x4000_0010, &[1, 2, 3, 4]));
        assert_eq!(v.read_phys::<4>(&ram, 0x4000_0010), Some([1, 2, 3, 4]));
        assert_eq!(v.read_phys::<4>(&ram, 0x3fff_fffe), None);
        assert_eq!(v.read_phys::<4>(&ram, 0x400f_fffe), None);
        assert!(!v.write_phys(&ram, 0x0900_0000, &[0]));
    }

    #[test]
    fn two_views_share_ram() {
        let ram = GuestRam::new(0x4000_0000, 0x2000).unwrap();
        let a = View::physical(&ram).unwrap();
        let b = View::reserve().unwrap();
        b.map(&ram, 0x1000, 0x4000_1000, 0x1000, true).unwrap();
        assert!(a.write_phys(&ram, 0x4000_1004, &[0xaa]));
        // SAFETY: page 0x1000 of view b is mapped to RAM.
        let x = unsafe { *b.base().add(0x1004) };
        assert_eq!(x, 0xaa);
    }
}
