#!/usr/bin/env bash
# Runs a command in an empty scratch folder and passes only if it exits with exactly the
# expected status (a crash or a hang is never "a clear error"), says why in exactly one line
# on stderr, and ran nothing: stdout stays empty (a replay prints its summary there) and the
# folder stays empty (the tests give outputs relative paths, so a run would leave them there).
want=$1; shift
base=$(mktemp -d) || exit 1
trap 'rm -rf "$base"' EXIT
mkdir "$base/run"
(cd "$base/run" && timeout 60 "$@" >"$base/out" 2>"$base/err")
got=$?
msg=$(head -c 300 "$base/err")
if [ "$got" != "$want" ]; then echo "exit $got, want $want: $*"; echo "$msg"; exit 1; fi
lines=$(wc -l < "$base/err")
[ "$lines" = 1 ] && [ "$(tail -c 1 "$base/err" | od -An -c | tr -d ' ')" = '\n' ] ||
  { echo "want one line on stderr, got $lines: $*"; cat "$base/err"; exit 1; }
[ ! -s "$base/out" ] || { echo "stdout not empty (did something run?): $*"; head -5 "$base/out"; exit 1; }
left=$(ls -A "$base/run")
[ -z "$left" ] || { echo "files created (did something run?): $left: $*"; exit 1; }
echo "exit $got with: $msg"
