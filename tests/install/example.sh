#!/bin/sh
# Installs the project from its build tree into a scratch prefix, builds examples/ against it as
# a platform outside the tree would (find_package(nicsim) through CMAKE_PREFIX_PATH) and runs
# the example; fails if any step does.
# Usage: example.sh BUILD_DIR EXAMPLES_DIR WORK_DIR [CMAKE_ARG...]
# The CMAKE_ARGs configure the example: the build's compiler, flags and launcher.
set -eu
build=$1 examples=$2 work=$3
shift 3
# The same paths every run, so that ccache (when the build uses it) finds the example's object.
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" > /dev/null
cmake -S "$examples" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" "$@"
# The package found must be the one just installed, not one elsewhere on the machine.
grep -qx "nicsim_DIR:PATH=$work/prefix/.*" "$work/build/CMakeCache.txt"
cmake --build "$work/build"
"$work/build/nic_platform"
