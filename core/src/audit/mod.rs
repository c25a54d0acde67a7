//! The audit log (kept in `ils-kernel`) and its HTTP routes.

pub use ils_kernel::audit::*;
