# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables are used by the scripts that source this file
# The fixed workloads of bench/speed, read (sourced) by bench/speed and bench/speed-ab so both
# time the same traces: `nicsim gen` arguments per workload (seed 1), in run order, and the
# replay arguments of each mode.
speed_workloads=(inorder_128k_8flows reads_4k loss1_reorder1 idle_heavy flows_256)
declare -A speed_gen=(
  [inorder_128k_8flows]="--flows 8 --ddgst --io-size 128K --total-bytes 256M --queue-depth 16"
  [reads_4k]="--flows 8 --ddgst --io-size 4K --total-bytes 64M --queue-depth 32"
  [loss1_reorder1]="--flows 8 --ddgst --io-size 128K --total-bytes 128M --queue-depth 16 --loss 0.01 --reorder 0.01"
  [idle_heavy]="--flows 1 --ddgst --io-size 128K --ios 64 --queue-depth 1 --ctrl-latency 2000"
  [flows_256]="--flows 256 --ddgst --io-size 16K,128K --total-bytes 128M --queue-depth 8"
)
speed_seed=1
# Every replay of a workload: the driver offloads reads of 4 KiB and more.
speed_replay_args="--set driver.io_threshold=4096"
# "full" is nicsim replay as it runs by default (every context and registration on chip),
# "sim" the simulator alone, "cached" the full replay with contexts, registrations and SGLs in
# host memory behind the on-chip caches of configs/hierarchy-100g.json (docs/state.md).
speed_hierarchy="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/configs/hierarchy-100g.json"
declare -A speed_mode_args=([full]="" [sim]="--no-verify --no-read-digests" [cached]="--config $speed_hierarchy")
speed_modes=(full sim cached)
