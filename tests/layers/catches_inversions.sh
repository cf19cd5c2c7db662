#!/bin/sh
# The layers check would fail on each inversion issue 16 removed: plants them one at a time
# into a scratch copy of the sources and expects check_layers.sh to fail naming the file.
# Usage: catches_inversions.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
check="$src/tests/layers/check_layers.sh"
n=0
while IFS='|' read -r file line; do
  [ -n "$file" ] || continue
  rm -rf "$work"; mkdir -p "$work"
  (cd "$src" && cp -r util proto hw host_driver tb tools apps bench "$work"/)
  [ -f "$work/$file" ] || { echo "FAIL: $file is not in the tree any more; update this list"; exit 1; }
  echo "$line" >>"$work/$file"
  if out=$(sh "$check" "$work" 2>&1); then
    echo "FAIL: planting '$line' in $file went unnoticed"; exit 1
  fi
  case $out in
    *"$file:"*) n=$((n + 1)) ;;
    *) echo "FAIL: the check failed without naming $file: $out"; exit 1 ;;
  esac
done <<'LIST'
host_driver/ulp_rx/buffer_allocator.hpp|#include "tb/pcap/pcap_io.hpp"
host_driver/nvme_tcp/nvme_rx.hpp|#include "tb/replay/Judge.hpp"
host_driver/nic/NicDriver.hpp|#include "host_driver/ulp_ddp/ulp_ddp.hpp"
host_driver/ulp_ddp/ulp_ddp.hpp|#include "host_driver/nvme_tcp/nvme_tcp_host.hpp"
host_driver/ulp_rx/pdu_rx.hpp|#include "host_driver/nvme_tcp/nvme_rx.hpp"
host_driver/nvme_tcp/nvme_rx.hpp|#include "host_driver/iscsi/iscsi_rx.hpp"
hw/common/packet.hpp|#include "hw/offload/pdu_tracker.hpp"
hw/parser/PduParser.hpp|#include "hw/top/Nic.hpp"
hw/placement/PlacementEngine.hpp|#include "hw/top/nic_config.hpp"
hw/offload/ddp_table.hpp|#include "hw/placement/PlacementEngine.hpp"
hw/offload/flow_context.hpp|#include <systemc>
hw/offload/crc_engine.hpp|#include "hw/offload/nvme_tcp/nvme_tcp_protocol.hpp"
hw/placement/PlacementEngine.cpp|#include "proto/nvme_tcp.hpp"
hw/crc/Crc32cPipeline.cpp|#include "proto/iscsi.hpp"
hw/offload/ddp_table.cpp|#include "hw/offload/iscsi/iscsi_protocol.hpp"
hw/offload/pdu_tracker.hpp|#include "proto/nvme_tcp.hpp"
proto/nvme_tcp.hpp|#include "hw/common/packet.hpp"
util/bytes.hpp|#include "proto/net.hpp"
tb/gen/generator.hpp|#include "apps/nicsim/commands.hpp"
tb/replay/Replay.hpp|#include "tools/sweep/grid.hpp"
tools/sweep/grid.hpp|#include "apps/nicsim/commands.hpp"
tools/sweep/runner.hpp|#include <systemc>
LIST
rm -rf "$work"
echo "the check caught all $n planted inversions"
