//! C binding (in progress).
