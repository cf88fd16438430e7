//! weir-net: the TCP data plane with credit-based flow control, and the control plane.
//!
//! Module map:
