#!/bin/sh
# SPDX-License-Identifier: MIT
# Instruction counts per verification and per PAM round trip, under
# valgrind --tool=callgrind: unlike `make bench`'s timings, the same build
# gives the same figures whatever else the machine runs, so a change worth
# a few percent shows. Run from the build directory after `make bench`'s
# programs are built (`make bench-callgrind`, or sh .../callgrind.sh [N]).
# Prints, for each alg, instructions per verification of raw crypto,
# pam_jwt and cjose, and pam_jwt/raw and pam_jwt/cjose as ratios of speed
# (the inverse ratio of the counts), then instructions per warm round trip.
set -eu
n=${1:-50}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Inclusive instructions of function $2 in callgrind output file $1.
inclusive() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
        awk -v f="$2" 'index($0, ":" f " [") { gsub(",", "", $1); print $1; exit }'
}

# One run, one dump per alg: count_alg runs the algs in bench_verify's order.
valgrind --tool=callgrind --callgrind-out-file="$out/verify" --collect-atstart=no \
    --toggle-collect=count_alg --dump-after=count_alg ./tests/bench/bench_verify --count "$n" \
    >/dev/null 2>"$out/verify.err" || { cat "$out/verify.err" >&2; exit 1; }
printf '%-6s %12s %12s %12s %8s %8s\n' alg raw/op pam_jwt/op cjose/op p/raw p/cjose
part=1
for alg in EdDSA ES256 RS256 PS256; do
    f="$out/verify.$part"
    part=$((part + 1))
    raw=$(inclusive "$f" verify_raw)
    pam=$(inclusive "$f" verify_pamjwt)
    cj=$(inclusive "$f" verify_cjose)
    awk -v a="$alg" -v n="$n" -v r="$raw" -v p="$pam" -v c="${cj:-0}" 'BEGIN {
        printf "%-6s %12.0f %12.0f %12s %8.3f %8s\n", a, r / n, p / n,
            (c > 0 ? sprintf("%.0f", c / n) : "n/a"), r / p, (c > 0 ? sprintf("%.3f", c / p) : "n/a") }'
done
valgrind --tool=callgrind --callgrind-out-file="$out/pam" --collect-atstart=no \
    --toggle-collect=count_round_trips ./tests/bench/bench_pam --count "$n" \
    >/dev/null 2>"$out/pam.err" || { cat "$out/pam.err" >&2; exit 1; }
trip=$(inclusive "$out/pam" count_round_trips)
awk -v n="$n" -v t="$trip" 'BEGIN { printf "PAM warm round trip (EdDSA): %.0f instructions\n", t / n }'
