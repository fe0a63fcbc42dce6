//! PSCI 0.2 over the HVC conduit (Arm DEN 0022): the guest's power controller.

/// Function IDs (SMC32 calling convention).
pub const PSCI_VERSION: u32 = 0x8400_0000;
pub const CPU_SUSPEND: u32 = 0x8400_0001;
pub const CPU_OFF: u32 = 0x8400_0002;
pub const CPU_ON: u32 = 0x8400_0003;
pub const AFFINITY_INFO: u32 = 0x8400_0004;
pub const MIGRATE_INFO_TYPE: u32 = 0x8400_0006;
pub const SYSTEM_OFF: u32 = 0x8400_0008;
pub const SYSTEM_RESET: u32 = 0x8400_0009;
pub const PSCI_FEATURES: u32 = 0x8400_000a;

pub const SUCCESS: u32 = 0;
pub const NOT_SUPPORTED: u32 = -1i32 as u32;
pub const INVALID_PARAMS: u32 = -2i32 as u32;
pub const ALREADY_ON: u32 = -4i32 as u32;

/// What a PSCI call asks the VM to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PsciAction {
    /// Return `r0` to the caller.
    Return(u32),
    PowerOff,
    Reset,
    /// CPU_OFF of the only CPU, or CPU_SUSPEND: wait for an interrupt.
    Suspend,
}

/// Handles a PSCI call with arguments r0–r3 of a uniprocessor machine.
pub fn call(r0: u32, r1: u32) -> PsciAction {
    match r0 {
        PSCI_VERSION => PsciAction::Return(0x0000_0002),
        SYSTEM_OFF => PsciAction::PowerOff,
        SYSTEM_RESET => PsciAction::Reset,
        MIGRATE_INFO_TYPE => PsciAction::Return(2), // no trusted OS: migration not required
        AFFINITY_INFO => PsciAction::Return(if r1 == 0 { 0 } else { INVALID_PARAMS }),
        CPU_ON => PsciAction::Return(if r1 == 0 { ALREADY_ON } else { INVALID_PARAMS }),
        CPU_SUSPEND => PsciAction::Suspend,
        CPU_OFF => PsciAction::Suspend,
        PSCI_FEATURES => PsciAction::Return(match r1 {
            PSCI_VERSION | SYSTEM_OFF | SYSTEM_RESET | MIGRATE_INFO_TYPE | AFFINITY_INFO | CPU_ON | CPU_SUSPEND
            | CPU_OFF | PSCI_FEATURES => SUCCESS,
            _ => NOT_SUPPORTED,
        }),
        _ => PsciAction::Return(NOT_SUPPORTED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_features_and_power() {
        assert_eq!(call(PSCI_VERSION, 0), PsciAction::Return(2));
        assert_eq!(call(PSCI_FEATURES, SYSTEM_OFF), PsciAction::Return(SUCCESS));
        assert_eq!(call(PSCI_FEATURES, 0x8400_0012), PsciAction::Return(NOT_SUPPORTED));
        assert_eq!(call(SYSTEM_OFF, 0), PsciAction::PowerOff);
        assert_eq!(call(SYSTEM_RESET, 0), PsciAction::Reset);
        assert_eq!(call(0xdead_beef, 0), PsciAction::Return(NOT_SUPPORTED));
    }
}
