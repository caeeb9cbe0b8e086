# SPDX-License-Identifier: MIT
# Shared by the vector scripts (sourced, not run): TAP reporting and running
# one catalogue case through `jwt-helper verify`. Expects $helper and $tmp.
# A case directory holds index ("N<TAB>exit<TAB>mode<TAB>args<TAB>name"),
# N.token and N.want, as written by mint_hostile.py and interop_python.py.

count=0
failed=0

# report STATUS NAME [DIAGNOSTIC...]: one TAP line, diagnostics after a failure.
report() {
    count=$((count + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $count - $2"
        return
    fi
    failed=$((failed + 1))
    echo "not ok $count - $2"
    shift 2
    for line in "$@"; do
        echo "#   $line"
    done
}

# slurp VAR FILE: sets VAR to FILE's text without trailing newlines (as $(cat)
# would, but with shell builtins only: forks are slow and there are many
# cases) and $lines to its number of lines.
slurp() {
    _text=
    lines=0
    _nl='
'
    while IFS= read -r _line || [ -n "$_line" ]; do
        [ "$lines" -gt 0 ] && _text=$_text$_nl
        _text=$_text$_line
        lines=$((lines + 1))
    done <"$2"
    eval "$1=\$_text"
}

# run_case DIR CONF NUM CODE MODE ARGS NAME: verifies one token of DIR with
# configuration CONF; it must print exactly its N.want line, exit CODE and
# never repeat the token's signature on stdout or stderr.
run_case() {
    dir=$1 conf=$2 num=$3 code=$4 mode=$5 args=$6 name=$7
    tokfile=$dir/$num.token
    slurp want "$dir/$num.want"
    slurp token "$tokfile"
    sig=${token##*.}
    old_ifs=$IFS
    IFS=,
    # shellcheck disable=SC2086 # the comma-separated extra arguments are split on purpose
    set -- $args
    IFS=$old_ifs
    [ "$args" = "-" ] && set --
    if [ "$mode" = stdin ]; then
        "$helper" verify --config "$conf" "$@" - <"$tokfile" >"$tmp/out" 2>"$tmp/err"
    else
        "$helper" verify --config "$conf" "$@" "$token" </dev/null >"$tmp/out" 2>"$tmp/err"
    fi
    rc=$?
    slurp err "$tmp/err"
    slurp got "$tmp/out"
    status=0
    [ "$rc" -eq "$code" ] && [ "$got" = "$want" ] && [ "$lines" -eq 1 ] || status=1
    # a signature segment is never printed (the short ones of alg none aside)
    if [ "${#sig}" -ge 16 ]; then
        case "$got$err" in
        *"$sig"*)
            status=1
            got="$got (output repeats the signature)"
            ;;
        esac
    fi
    report "$status" "$name -> ${want%%:*}" "want: $want (exit $code)" \
        "got:  $got (exit $rc, $lines lines)" "stderr: $err"
}

# run_cases DIR CONF: every case of DIR's index.
run_cases() {
    tab=$(printf '\t')
    while IFS=$tab read -r num code mode args name; do
        run_case "$1" "$2" "$num" "$code" "$mode" "$args" "$name"
    done <"$1/index"
}
