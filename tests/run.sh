#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's test command: installs the Debian 12 packages the build and
# tests need, then builds and runs every suite (normal build, ASan+UBSan
# build, fuzz smoke, the Debian packages) and ends with one line
# "N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)

PACKAGES="build-essential autoconf automake autoconf-archive libtool pkg-config
  libpam0g-dev libsodium-dev libssl-dev libjson-c-dev libseccomp-dev
  python3 python3-jwt python3-jwcrypto valgrind clang
  libcjose-dev libjwt-dev pamtester libpam-wrapper openssh-server openssh-client sudo iproute2
  debhelper lintian curl cppcheck clang-tidy clang-format"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
    missing=""
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    # The OpenID Provider test runs node and npm: Debian's, unless the
    # machine has its own (a nodesource nodejs brings npm and conflicts
    # with Debian's npm package).
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        missing="$missing nodejs npm"
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    # Installing openssh-server starts an sshd on port 22 unless
    # policy-rc.d says no: the tests run their own sshd on 127.0.0.1 and
    # want no other. A policy-rc.d that was there already is left alone.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\n# tests/run.sh: start no service while installing\nexit 101\n' |
            as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy"
    fi
    as_root apt-get update -qq &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            $missing >/dev/null
    rc=$?
    [ -n "$policy" ] && as_root rm -f "$policy"
    return $rc
}

passed=0 failed=0 skipped=0

# Adds the counts of one automake test-suite.log to the totals.
count_suite() {
    log=$1
    p=$(sed -n 's/^# PASS: *//p' "$log"); f=$(sed -n 's/^# FAIL: *//p' "$log")
    e=$(sed -n 's/^# ERROR: *//p' "$log"); x=$(sed -n 's/^# XPASS: *//p' "$log")
    s=$(sed -n 's/^# SKIP: *//p' "$log"); xf=$(sed -n 's/^# XFAIL: *//p' "$log")
    passed=$((passed + ${p:-0} + ${xf:-0}))
    failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
    skipped=$((skipped + ${s:-0}))
}

# build_and_check NAME [configure args...]: one build directory, make check.
build_and_check() {
    name=$1; shift
    dir="$top/build/$name"
    rm -rf "$dir"; mkdir -p "$dir"
    echo "== $name: configure $*"
    if ! (cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1); then
        tail -n 30 "$dir/configure.out"; failed=$((failed + 1)); return
    fi
    echo "== $name: make check"
    (cd "$dir" && make -j2 >make.out 2>&1 && make -j2 check >check.out 2>&1)
    if [ -f "$dir/test-suite.log" ]; then
        grep -E '^(FAIL|ERROR|XPASS):' "$dir/check.out" || true
        count_suite "$dir/test-suite.log"
        grep -q '^# FAIL: *[1-9]\|^# ERROR: *[1-9]' "$dir/test-suite.log" && cat "$dir/test-suite.log" | head -200
    else
        tail -n 40 "$dir/make.out" "$dir/check.out" 2>/dev/null; failed=$((failed + 1))
    fi
}

# Every C test program of the normal build again under valgrind: one count
# per program, failing on any memory error or definite/indirect leak.
valgrind_suite() {
    dir="$top/build/normal"
    echo "== valgrind: C test programs"
    for t in "$dir"/tests/unit/test_* "$dir"/tests/vectors/test_rfc_vectors "$dir"/tests/module/test_module; do
        case "$t" in *.c|*.o|*.log|*.trs) continue ;; esac
        [ -x "$t" ] || continue
        if (cd "$dir" && ./libtool --mode=execute valgrind -q --leak-check=full \
                --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t" \
                >"$t.valgrind.log" 2>&1); then
            passed=$((passed + 1))
        else
            echo "valgrind: FAIL $(basename "$t")"; grep -E '==[0-9]+==|^not ok' "$t.valgrind.log" | head -n 30
            failed=$((failed + 1))
        fi
    done
}

# The threaded tests again in a ThreadSanitizer build (it cannot share a
# build with ASan): module threads, the daemon's worker pool, threads on one
# prepared key, and the daemon serving the real clients of test_daemon.sh and
# the concurrent ones of test_daemon_race.sh. Any report fails the suite: the
# failing program exits 66, and every report is also written under
# build/tsan/tsan-reports (a daemon's exit status alone may go unseen).
# `setarch -R` keeps the mappings where TSan expects them on kernels with
# many mmap random bits; where it is not allowed the tests run without it.
TSAN_TESTS="tests/unit/test_jwt_sig_threads tests/unit/test_helperd_workers
  tests/module/test_module_threads tests/daemon/test_daemon.sh tests/daemon/test_daemon_race.sh"
tsan_suite() {
    dir="$top/build/tsan"
    rm -rf "$dir"; mkdir -p "$dir/tsan-reports"
    echo "== tsan: configure --enable-tsan, threaded tests"
    if ! (cd "$dir" && "$top/configure" --enable-werror --enable-tsan >configure.out 2>&1 &&
        make -j2 >make.out 2>&1); then
        tail -n 40 "$dir/configure.out" "$dir/make.out" 2>/dev/null; failed=$((failed + 1)); return
    fi
    norand=""
    setarch "$(uname -m)" -R true 2>/dev/null && norand="setarch $(uname -m) -R"
    (cd "$dir" && TSAN_OPTIONS="halt_on_error=1 exitcode=66 log_path=$dir/tsan-reports/report" \
        $norand make -j2 check TESTS="$(echo $TSAN_TESTS)" >check.out 2>&1)
    if [ -f "$dir/test-suite.log" ]; then
        grep -E '^(FAIL|ERROR|XPASS):' "$dir/check.out" || true
        count_suite "$dir/test-suite.log"
    else
        tail -n 40 "$dir/check.out"; failed=$((failed + 1))
    fi
    if [ -n "$(ls "$dir/tsan-reports")" ]; then
        echo "tsan: FAIL, reports in $dir/tsan-reports:"; head -n 60 "$dir"/tsan-reports/*
        failed=$((failed + 1))
    fi
}

# cppcheck and clang-tidy (checks and the reasons for those left out: the
# root's .clang-tidy) over the product sources, with the normal build's
# config.h: one count per tool, failing on any finding.
LINT_SOURCES="pam_jwt/*.c jwt-helper/*.c"
lint_suite() {
    log="$top/build/lint-format.log"
    echo "== lint: clang-format, cppcheck, clang-tidy"
    # The tree is formatted by its own .clang-format: a drifted file fails.
    if git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror >"$log" 2>&1; then
        passed=$((passed + 1))
    else
        echo "lint: clang-format FAIL (run clang-format -i on these files)"
        grep -o '^[^:]*\.[ch]' "$log" | sort -u | head -n 40; failed=$((failed + 1))
    fi
    log="$top/build/lint-cppcheck.log"
    if cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c11 \
            --inline-suppr -I include -I pam_jwt -I jwt-helper -I build/normal \
            pam_jwt jwt-helper >"$log" 2>&1; then
        passed=$((passed + 1))
    else
        echo "lint: cppcheck FAIL"; head -n 40 "$log"; failed=$((failed + 1))
    fi
    LINT_FLAGS="-std=c11 -D_GNU_SOURCE -Iinclude -Ipam_jwt -Ijwt-helper -Ibuild/normal
      $(pkg-config --cflags json-c libsodium libcrypto pam)"
    export LINT_FLAGS
    log="$top/build/lint-clang-tidy.log"
    # shellcheck disable=SC2086 # the globs and flags are meant to split
    if ls $LINT_SOURCES | xargs -P2 -n8 sh -c 'clang-tidy --quiet "$@" -- $LINT_FLAGS' sh \
            >"$log" 2>&1; then
        passed=$((passed + 1))
    else
        echo "lint: clang-tidy FAIL"; grep -E '(error|warning): ' "$log" | head -n 40
        failed=$((failed + 1))
    fi
}

# Fuzz harnesses must keep building and survive a short run each: 15
# harnesses at 8 s is about two minutes (long runs: tests/fuzz/run).
fuzz_smoke() {
    dir="$top/build/fuzz"
    rm -rf "$dir"; mkdir -p "$dir"
    echo "== fuzz: build and smoke run"
    if (cd "$dir" && CC=clang "$top/configure" --enable-fuzzing >configure.out 2>&1 &&
        make -j2 fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-8}" >fuzz.out 2>&1); then
        passed=$((passed + 1))
    else
        tail -n 40 "$dir/fuzz.out" 2>/dev/null; failed=$((failed + 1))
    fi
}

# The Debian packages (tests/pkg/test_packages.sh, TAP): built, checked by
# lintian, installed into throwaway roots, logged in through. It needs
# root; here, where the tools were installed above, a skip is a failure.
package_suite() {
    log="$top/build/packages.log"
    echo "== packages: build, lintian, install and log in"
    sh "$top/tests/pkg/test_packages.sh" >"$log" 2>&1
    rc=$?
    s=$(grep -Ec '^ok [0-9]+.*# SKIP' "$log")
    p=$(($(grep -Ec '^ok ' "$log") - s))
    f=$(grep -Ec '^not ok ' "$log")
    passed=$((passed + p))
    failed=$((failed + f))
    if grep -q '^1\.\.0 # SKIP' "$log" || { [ $rc != 0 ] && [ "$f" = 0 ]; }; then
        failed=$((failed + 1))
        echo "packages: FAIL (skipped or stopped): $(grep -E '^1\.\.0|^Bail' "$log" | head -n 3)"
    fi
    grep -E '^not ok|^Bail' "$log" | head -n 20
}

install_packages || { echo "cannot install packages"; echo "0 passed, 1 failed"; exit 1; }
[ -x configure ] || ./autogen.sh >/dev/null 2>&1 || { echo "autogen failed"; echo "0 passed, 1 failed"; exit 1; }
build_and_check normal
lint_suite
valgrind_suite
build_and_check sanitizers --enable-sanitizers
tsan_suite
fuzz_smoke
package_suite
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
