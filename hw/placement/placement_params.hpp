// Parameters of the placement engine, its host rings and its command path (hw/placement,
// hw/cmd), config section "placement".
#pragma once
#include <cstdint>

#include "hw/abi/nic_abi.hpp"
#include "hw/offload/sgl.hpp"
#include "util/params.hpp"

namespace nic {

struct PlacementParams {
  uint32_t max_sg_entries = 128;
  uint32_t max_outstanding_dma = 32;
  bool single_run_per_packet = false;  // ConnectX-7 rule: one placed run per packet
  uint32_t rx_ring_bytes = 1u << 22;
  uint32_t cq_entries = 4096;
  uint32_t cmd_window = 8;         // commands decoded ahead; their SGL reads overlap
  uint32_t cmd_fetch_entries = 64;  // command-ring entries one fetch reads (NIC buffer)

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("max_sg_entries", p.max_sg_entries, "entries",
      "largest SGL accepted by setup (ConnectX-7: 128)", in(1, hw::SglPool::kMaxEntries));
    d("max_outstanding_dma", p.max_outstanding_dma, "writes",
      "DMA writes the placement engine keeps in flight", in(1, 64 * K));
    d("single_run_per_packet", p.single_run_per_packet, "bool",
      "ConnectX-7 rule: place at most one contiguous run per packet", any);
    // The driver's host memory map gives the receive ring 1 GiB and the completion ring 512 MiB.
    d("rx_ring_bytes", p.rx_ring_bytes, "B",
      "host receive ring for bytes the NIC does not place", in(64, 1 * G));
    d("cq_entries", p.cq_entries, "entries", "completion ring size",
      in(2, 512 * M / abi::kCqeSize));
    // SkAdd takes two command-ring entries; the driver's command ring has 1024.
    d("cmd_fetch_entries", p.cmd_fetch_entries, "entries",
      "command-ring entries read by one fetch: the NIC's command buffer, caps the command rate",
      in(2, 1 * K));
    d("cmd_window", p.cmd_window, "commands",
      "commands decoded ahead of execution; setups fetch their SGLs in parallel", in(1, 1 * K));
  }
};

}  // namespace nic
