#!/bin/sh
# Fails on an #include "..." of product code that points to a higher layer, naming file:line
# and the rule broken (docs/architecture.md, "Layers"). Usage: check_layers.sh SOURCE_DIR
#
# Rule 1, layers lowest first, by path:
#   util/ < proto/ < hw logic < hw modules < host_driver/ < tb/ < tools/ < apps/ and bench/
# A file under hw/ is hardware logic (plain C++, library nichw_logic) when its name is
# lower_snake_case and a SystemC module (nichw) when it is CamelCase: the rule
# hw/CMakeLists.txt builds by.
# Rule 2, inside hw/: hw/common/ and hw/abi/ (the host contract) < hw/offload/ (the engine's
# per-flow logic) < the blocks (mac, flow, parser, crc, placement, pcie, cmd, ...) < hw/top/,
# which assembles them. A block includes another block only through what the top wires
# (the DMA engine, the completion ring and the flow table are shared by several blocks).
# Rule 3: plain C++ (util/, proto/, lower_snake_case files of hw/ and host_driver/, tools/)
# includes no SystemC or TLM header.
# Rule 4, inside host_driver/: nic/ (the device driver) < ulp_ddp/ (the offload core) <
# ulp_rx/ (TCP receive, buffers, the protocol-neutral PDU receive path) < the protocols'
# hosts (nvme_tcp/, iscsi/), which never include each other; files directly in host_driver/
# wire them and may include all.
# Rule 5, the protocol seam: hw/ reaches a protocol (proto/nvme_tcp.hpp, proto/iscsi*.hpp,
# hw/offload/<protocol>/) only from that protocol's own folder and from hw/offload/flow_context,
# which picks each flow's protocol; the engine and the blocks stay protocol-neutral.
# Rule 1 also keeps the installed headers (util/, proto/, hw/: cmake/install.cmake) from
# including any that are not installed. examples/ is not scanned: a platform outside the tree
# may include any installed header.
set -eu
cd "$1"
files=$(find util proto hw host_driver tb tools apps bench -type f \
  \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) | sort)
[ -n "$files" ] || { echo "no product sources under $(pwd)"; exit 1; }
# shellcheck disable=SC2086  # one argument per file
awk '
function layer(p,   base) {
  if (p ~ /^util\//) return 0
  if (p ~ /^proto\//) return 1
  if (p ~ /^hw\//) { base = p; sub(/.*\//, "", base); return base ~ /^[A-Z]/ ? 3 : 2 }
  if (p ~ /^host_driver\//) return 4
  if (p ~ /^tb\//) return 5
  if (p ~ /^tools\//) return 6
  if (p ~ /^(apps|bench)\//) return 7
  return -1  # not ours (generated or system headers)
}
function plain(p,   base) {
  base = p; sub(/.*\//, "", base)
  return layer(p) <= 2 || (p ~ /^host_driver\// && base ~ /^[a-z]/) || p ~ /^tools\//
}
function host_level(p) {
  if (p ~ /^host_driver\/nic\//) return 0
  if (p ~ /^host_driver\/ulp_ddp\//) return 1
  if (p ~ /^host_driver\/ulp_rx\//) return 2
  if (p ~ /^host_driver\/[a-z0-9_]+\//) return 3  # the host of a protocol
  return -1  # host_driver/ itself: above the parts
}
function dir_of(p) {
  sub("/[^/]*$", "", p)
  return p
}
function hw_level(p) {
  if (p ~ /^hw\/(common|abi)\//) return 0
  if (p ~ /^hw\/offload\//) return 1
  if (p ~ /^hw\/top\//) return 3
  return 2
}
BEGIN {
  split("util|proto|hw logic|hw module|host_driver|tb|tools|apps/bench", name, "|")
  bad = 0
}
/^[ \t]*#[ \t]*include[ \t]*<(systemc|tlm)/ && plain(FILENAME) {
  printf "%s:%d: %s: plain C++ includes no SystemC\n", FILENAME, FNR, $0
  bad = 1
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
  inc = $0
  sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
  from = layer(FILENAME); to = layer(inc)
  if (from < 0 || to < 0) next
  rule = ""
  if (to > from)
    rule = "layer " name[from + 1] " may not include layer " name[to + 1]
  else if (FILENAME ~ /^hw\// && inc ~ /^hw\// && hw_level(inc) > hw_level(FILENAME))
    rule = "inside hw/, common and abi < offload < blocks < top"
  else if (host_level(FILENAME) >= 0 && host_level(inc) > host_level(FILENAME))
    rule = "inside host_driver/, nic < ulp_ddp < ulp_rx < the protocols"
  else if (host_level(FILENAME) == 3 && host_level(inc) == 3 && dir_of(inc) != dir_of(FILENAME))
    rule = "inside host_driver/, the host of one protocol never includes that of another"
  else if (FILENAME ~ /^hw\// && FILENAME !~ /^hw\/offload\/(flow_context\.|[a-z0-9_]+\/)/ &&
           (inc == "proto/nvme_tcp.hpp" || inc ~ /^proto\/iscsi/ || inc ~ /^hw\/offload\/[a-z0-9_]+\//))
    rule = "the engine and the blocks are protocol-neutral: only hw/offload/flow_context picks a protocol"
  if (rule == "") next
  printf "%s:%d: includes \"%s\": %s\n", FILENAME, FNR, inc, rule
  bad = 1
}
END { exit bad }' $files
