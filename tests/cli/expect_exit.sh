#!/usr/bin/env bash
# Runs a command and passes only if it exits with exactly the expected status (a crash or a
# hang is never "a clear error").
want=$1; shift
timeout 60 "$@" >/dev/null 2>"${TMPDIR:-/tmp}/expect_exit.$$"
got=$?
msg=$(head -c 300 "${TMPDIR:-/tmp}/expect_exit.$$"); rm -f "${TMPDIR:-/tmp}/expect_exit.$$"
if [ "$got" != "$want" ]; then echo "exit $got, want $want: $*"; echo "$msg"; exit 1; fi
[ -n "$msg" ] || { echo "no error message on stderr: $*"; exit 1; }
echo "exit $got with: $msg"
