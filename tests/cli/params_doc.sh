#!/usr/bin/env bash
# docs/parameters.md lists exactly the parameters `nicsim config --table` prints.
set -euo pipefail
nicsim=$1 doc=$2
if ! diff <("$nicsim" config --table) <(sed -n '/^| parameter/,$p' "$doc"); then
  echo "docs/parameters.md is stale: run scripts/gen-param-doc"
  exit 1
fi
