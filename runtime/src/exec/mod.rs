//! Dispatcher and block cache.
