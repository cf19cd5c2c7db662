#!/usr/bin/env bash
# Every operation cost at 0 (docs/costs.md) gives the timing from before the costs were
# modelled: the regress workloads' reports equal tests/regress/zero_costs/, the baselines of
# that time with the cost counters added (all 0). The config section is left out (it lists
# the cost parameters). Usage: zero_costs.sh NICSIM SOURCE_DIR WORK_DIR [--regenerate]
set -euo pipefail
costs="ooo.search_bytes_per_cycle crc.cycles_per_extra_segment crc.combine_cycles
  placement.cycles_per_extra_segment placement.cqe_write_cycles placement.rx_ring_write_cycles
  placement.ddp_write_cycles placement.setup_cycles placement.setup_cycles_per_sg
  placement.sk_add_cycles placement.sk_del_cycles irq.msg_cycles"
REGRESS_ARGS=$(for c in $costs; do printf -- '--set %s=0 ' "$c"; done)
export REGRESS_ARGS REGRESS_BASELINE=zero_costs REGRESS_STRIP='del(.config)'
exec "$(dirname "$0")/regress.sh" "$@"
