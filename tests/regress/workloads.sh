# shellcheck shell=bash
# The regress workloads, sourced by regress.sh and gating_identical.sh (which need $src set).
# name | trace (a bundled pcap, or `gen` arguments after "gen:") | replay arguments
# shellcheck disable=SC2034  # used by the scripts that source this file
workloads=(
  "impaired_2flows|$src/traces/impaired_2flows.pcap|"
  "inorder_4flows|$src/traces/inorder_4flows.pcap|"
  "ipv6_vlan_hpda|$src/traces/ipv6_vlan_hpda.pcap|"
  "jumbo_small_ios|$src/traces/jumbo_small_ios.pcap|"
  "inorder_4flows_400g|$src/traces/inorder_4flows.pcap|--config $src/configs/400g.json"
  # A misbehaving controller and hostile frames: failed connections, SkDel, skipped PDUs.
  "hostile_3flows|$src/traces/hostile_3flows.pcap|"
  # Every receive-side impairment the generator has, with header and data digests.
  "gen_impaired|gen:--flows 4 --ddgst --hdgst --io-size 4K,32K,128K --ios 120 --loss 0.02 --reorder 0.02 --dup 0.01 --bad-tcp-csum 0.01 --corrupt-ddgst 0.05 --plant-lookalike 0.05 --max-pdu-data 16K --seed 11|"
  # Back-pressure everywhere: idle gaps removed, a small MAC FIFO, few PCIe tags, a short
  # completion ring (blocked channels, DMA and completion-ring stalls).
  "gen_backpressure|gen:--flows 8 --ddgst --io-size 4K,64K --ios 200 --tcp-timestamps --loss 0.005 --seed 5|--line-rate --set mac.rx_fifo_bytes=65536 --set placement.cq_entries=64 --set pcie.tags=16 --set dma.write_ops=4"
)

# The pcap of a workload: the bundled one, or the one `gen` writes into WORK for "gen:" arguments.
workload_trace() {  # nicsim work name trace
  if [[ $4 == gen:* ]]; then
    # shellcheck disable=SC2086
    "$1" gen -o "$2/$3.pcap" ${4#gen:} > /dev/null || return
    echo "$2/$3.pcap"
  else
    echo "$4"
  fi
}
