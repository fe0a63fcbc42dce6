//! The machine: memory map, loading, reset.
