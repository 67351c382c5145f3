#!/usr/bin/env bash
# Writes fixbook.pc (pkg-config) for a built libfixbook, from fixbook.pc.in.
#
#   bindings/c/make-pc.sh [LIBDIR [INCLUDEDIR]]
#
# LIBDIR holds libfixbook.so / libfixbook.a and receives fixbook.pc (default: cargo's
# target/debug); INCLUDEDIR holds fixbook.h (default: bindings/c/include). For an install,
# copy the libraries and the header first and pass their folders.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
libdir="${1:-${target_dir:-$here/../../target}/debug}"
includedir="${2:-$here/include}"

# The system libraries a static link needs, as rustc reports them (cargo replays the note
# when the build is fresh). They do not depend on the profile.
if ! log="$(cargo rustc -p fixbook-c --lib --crate-type staticlib -- --print native-static-libs 2>&1)"; then
    echo "$log" >&2
    exit 1
fi
libs="$(sed -n 's/^note: native-static-libs: //p' <<<"$log" | tail -n 1)"
if [ -z "$libs" ]; then
    libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
    echo "make-pc.sh: rustc did not report native-static-libs; using $libs" >&2
fi
pkgid="$(cargo pkgid -p fixbook-c)"
version="${pkgid##*[#@]}"

mkdir -p "$libdir"
sed -e "s|@PREFIX@|$libdir|" -e "s|@LIBDIR@|$libdir|" -e "s|@INCLUDEDIR@|$includedir|" \
    -e "s|@VERSION@|$version|" -e "s|@LIBS_PRIVATE@|$libs|" \
    fixbook.pc.in >"$libdir/fixbook.pc"
echo "$libdir/fixbook.pc"
