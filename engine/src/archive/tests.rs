//! Unit tests of pack archives.
