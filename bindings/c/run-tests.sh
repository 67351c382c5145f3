#!/usr/bin/env bash
# Builds the C binding (debug) and runs all of its tests:
#   - the Rust tests of the crate (the committed header is current; the panic guard; the
#     conformance cases of tests/data/conformance.toml through the C functions)
#   - tests/test_fixbook.c built with gcc (C99) and with g++ (as C++), linked through pkg-config
#   - the same under valgrind (no leaks, no errors), and a leak canary proving valgrind sees leaks
#   - the same with -fsanitize=address,undefined (skipped where the compiler lacks them)
#   - the same linked statically against libfixbook.a
#   - examples/triage.c on "Session token not found or invalid"
# Prints `N passed, M failed` as its last line; exits non-zero on any failure.
#
# Environment: FIXBOOK_TEST_ITERATIONS (queries per thread, native runs; default 1000),
# FIXBOOK_VALGRIND_ITERATIONS (per thread under valgrind, with one reload; default 25),
# FIXBOOK_TEST_RELOAD_CYCLES (reloads, alternately broken and good, while 16 threads query;
# default 100), FIXBOOK_VALGRIND_RELOAD_CYCLES (the same under valgrind, where each of the 16
# threads makes at most 20 queries, 0.5 s apart; default 6), CC, CXX.
# valgrind is installed with apt-get when missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

CC="${CC:-gcc}"
CXX="${CXX:-g++}"
iterations="${FIXBOOK_TEST_ITERATIONS:-1000}"
vg_iterations="${FIXBOOK_VALGRIND_ITERATIONS:-25}"
vg_reload_cycles="${FIXBOOK_VALGRIND_RELOAD_CYCLES:-6}"
warnings=(-Wall -Wextra -Werror)

passed=0
failed=0
skipped=0
failures=()
started=$SECONDS

# run_step NAME FUNCTION: runs FUNCTION in a subshell with `set -e`; exit 77 means skipped.
run_step() {
    local name="$1" rc t0=$SECONDS
    shift
    echo "=== $name"
    set +e
    (
        set -euo pipefail
        "$@"
    )
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "--- ok: $name ($((SECONDS - t0)) s)"
    elif [ "$rc" -eq 77 ]; then
        skipped=$((skipped + 1))
        echo "--- skipped: $name"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "--- FAIL: $name (exit $rc, $((SECONDS - t0)) s)"
    fi
}

summary() {
    echo
    echo "C binding tests: $((SECONDS - started)) s"
    for f in "${failures[@]+"${failures[@]}"}"; do
        echo "failed: $f"
    done
    if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
}

# --- where cargo puts things -----------------------------------------------------------------
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
target_dir="${target_dir:-$root/target}"
libdir="$target_dir/debug"
out="$libdir/c-tests"
mkdir -p "$out"
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# --- steps -----------------------------------------------------------------------------------

build() {
    cargo build -p fixbook-c
    "$here/make-pc.sh" "$libdir" "$here/include"
    test -f "$libdir/libfixbook.so"
    test -f "$libdir/libfixbook.a"
    echo "pkg-config: fixbook $(pkg-config --modversion fixbook): $(pkg-config --cflags --libs fixbook)"
    echo "static: $(pkg-config --static --libs fixbook)"
}

rust_tests() {
    cargo test -p fixbook-c
}

# compile_test COMPILER OUTPUT [FLAGS...]: tests/test_fixbook.c against the shared library.
compile_test() {
    local compiler="$1" output="$2"
    shift 2
    # shellcheck disable=SC2046 # pkg-config output is a list of flags
    "$compiler" "${warnings[@]}" "$@" "$here/tests/test_fixbook.c" -o "$output" \
        $(pkg-config --cflags --libs fixbook) -Wl,-rpath,"$libdir" -lpthread
}

run_test() {
    FIXBOOK_TEST_VERSION="$(pkg-config --modversion fixbook)" FIXBOOK_TEST_ITERATIONS="$1" \
        "${@:2}"
}

c_tests() {
    compile_test "$CC" "$out/test_fixbook" -std=c99 -pedantic -g
    run_test "$iterations" "$out/test_fixbook"
}

cxx_tests() {
    compile_test "$CXX" "$out/test_fixbook_cxx" -x c++ -std=c++11 -pedantic -g
    run_test 100 "$out/test_fixbook_cxx"
}

ensure_valgrind() {
    command -v valgrind >/dev/null && return 0
    echo "installing valgrind"
    apt-get install -y -qq valgrind >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq valgrind >/dev/null 2>&1; }
    command -v valgrind >/dev/null
}

valgrind_opts=(--error-exitcode=1 --leak-check=full
    --errors-for-leak-kinds=definite,indirect,possible --num-callers=40
    --suppressions="$here/tests/valgrind.supp")

valgrind_tests() {
    ensure_valgrind
    local rc=0
    # the 16 readers pause 0.5 s between queries (at most 20 each), so that they query all
    # along the reloads without starving them (valgrind runs one thread at a time)
    FIXBOOK_TEST_RELOADS=1 FIXBOOK_TEST_RELOAD_CYCLES="$vg_reload_cycles" \
        FIXBOOK_TEST_RELOAD_QUERIES=20 FIXBOOK_TEST_RELOAD_PAUSE_MS=500 \
        run_test "$vg_iterations" valgrind "${valgrind_opts[@]}" \
        --log-file="$out/valgrind.log" "$out/test_fixbook" || rc=$?
    grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost|suppressed:" \
        "$out/valgrind.log" | sed 's/^==[0-9]*== *//'
    if [ "$rc" -ne 0 ]; then
        echo "valgrind failed (exit $rc); log: $out/valgrind.log"
        grep -B2 -A30 -E "are (definitely|possibly|indirectly) lost|Invalid|uninitialised" \
            "$out/valgrind.log" | head -120 || true
        return 1
    fi
}

leak_canary() {
    ensure_valgrind
    # shellcheck disable=SC2046
    "$CC" "${warnings[@]}" -g "$here/tests/leak_canary.c" -o "$out/leak_canary" \
        $(pkg-config --cflags --libs fixbook) -Wl,-rpath,"$libdir"
    local rc=0
    valgrind "${valgrind_opts[@]}" --log-file="$out/leak_canary.log" "$out/leak_canary" || rc=$?
    grep -E "definitely lost:|ERROR SUMMARY" "$out/leak_canary.log" | sed 's/^==[0-9]*== *//'
    if [ "$rc" -ne 1 ] || ! grep -qE "definitely lost: [1-9]" "$out/leak_canary.log"; then
        echo "valgrind did not report the deliberate leaks (exit $rc)"
        return 1
    fi
}

sanitizer_tests() {
    local flags=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
    if ! echo 'int main(void){return 0;}' |
        "$CC" "${flags[@]}" -x c - -o "$out/sanitizer_probe" >/dev/null 2>&1; then
        echo "$CC cannot build with ${flags[*]}"
        return 77
    fi
    compile_test "$CC" "$out/test_fixbook_asan" -std=c99 -g "${flags[@]}"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        run_test 200 "$out/test_fixbook_asan"
}

static_tests() {
    # shellcheck disable=SC2046
    "$CC" "${warnings[@]}" -std=c99 -pedantic -g "$here/tests/test_fixbook.c" \
        -o "$out/test_fixbook_static" $(pkg-config --cflags fixbook) \
        "$libdir/libfixbook.a" $(pkg-config --static --libs-only-l fixbook | sed 's/-lfixbook//')
    if ldd "$out/test_fixbook_static" | grep -q libfixbook; then
        echo "the static build still needs libfixbook.so"
        return 1
    fi
    run_test 100 "$out/test_fixbook_static"
}

example() {
    # shellcheck disable=SC2046
    "$CC" "${warnings[@]}" -std=c99 -pedantic "$here/examples/triage.c" -o "$out/triage" \
        $(pkg-config --cflags --libs fixbook) -Wl,-rpath,"$libdir"
    local output
    output="$(FIXBOOK_PACK_PATH='' XDG_DATA_HOME="$out/no-data" \
        "$out/triage" "Session token not found or invalid")"
    echo "$output"
    grep -q '^aws-iam-identity-center/session-token-invalid$' <<<"$output"
    grep -q '^  first step: ' <<<"$output"
    grep -q '^  ask next: ' <<<"$output"
    # from standard input too; and no match means exit status 1
    output="$(echo "Session token not found or invalid" | FIXBOOK_PACK_PATH='' \
        XDG_DATA_HOME="$out/no-data" "$out/triage")"
    grep -q '^aws-iam-identity-center/session-token-invalid$' <<<"$output"
    local rc=0
    FIXBOOK_PACK_PATH='' XDG_DATA_HOME="$out/no-data" "$out/triage" "the weather is lovely" || rc=$?
    [ "$rc" -eq 1 ]
}

run_step "build (cargo build -p fixbook-c, fixbook.pc)" build
if [ "$failed" -ne 0 ]; then
    summary
    exit 1
fi
run_step "rust tests (header is current, panic guard, conformance cases)" rust_tests
run_step "C tests (gcc -std=c99, shared library)" c_tests
run_step "C++ compile of the C tests (g++ -x c++)" cxx_tests
run_step "valgrind ($vg_iterations queries per thread, $vg_reload_cycles reloads under load)" valgrind_tests
run_step "valgrind sees a deliberate leak" leak_canary
run_step "sanitizers (address, undefined)" sanitizer_tests
run_step "static link (libfixbook.a)" static_tests
run_step "example triage.c" example

summary
[ "$failed" -eq 0 ]
