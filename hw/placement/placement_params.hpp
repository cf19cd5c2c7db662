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
  bool single_run_per_packet = false;  // ConnectX-7 rule: one placed run per packet
  uint32_t rx_ring_bytes = 1u << 22;
  uint32_t cq_entries = 4096;
  uint32_t cmd_window = 8;         // commands decoded ahead; their SGL reads overlap
  uint32_t cmd_fetch_entries = 64;  // command-ring entries one fetch reads (NIC buffer)
  // Operation costs at the core clock (docs/costs.md). Each 0 turns the cost off.
  // One DDP table lookup per cycle: a beat holding k placeable data segments costs k cycles.
  uint32_t cycles_per_extra_segment = 1;
  // A 64-byte entry is one beat: built and queued for DMA in a cycle.
  uint32_t cqe_write_cycles = 1;
  uint32_t rx_ring_write_cycles = 1;
  // The DDP table is one SRAM with one write port: a slot write per cycle.
  uint32_t ddp_write_cycles = 1;
  // Read-modify-write of the 28-byte slot and an SGL pool allocation, a few SRAM round trips.
  uint32_t setup_cycles = 8;
  // One 16-byte SG entry written to the SGL pool per cycle.
  uint32_t setup_cycles_per_sg = 1;
  // Hash, probe of the set's ways, the way written, then the flow context's tracker, digest
  // engine and DDP table header initialised (its slots are cleared lazily, by a valid bit).
  uint32_t sk_add_cycles = 16;
  // The way invalidated and the context's state cleared.
  uint32_t sk_del_cycles = 8;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using namespace param;
    d("max_sg_entries", p.max_sg_entries, "entries",
      "largest SGL accepted by setup (ConnectX-7: 128)", in(1, hw::SglPool::kMaxEntries));
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
    d("cycles_per_extra_segment", p.cycles_per_extra_segment, "cycles",
      "extra cycles a beat costs for each placeable data segment beyond the first it holds",
      in(0, 1 * K));
    d("cqe_write_cycles", p.cqe_write_cycles, "cycles",
      "cycles the placement engine or command processor spends on each completion entry",
      in(0, 1 * K));
    d("rx_ring_write_cycles", p.rx_ring_write_cycles, "cycles",
      "cycles the placement engine spends on each receive-ring write (two when it wraps)",
      in(0, 1 * K));
    d("ddp_write_cycles", p.ddp_write_cycles, "cycles",
      "cycles a write holds the DDP table's one write port (placement first, then commands)",
      in(0, 1 * K));
    d("setup_cycles", p.setup_cycles, "cycles", "cycles a DdpSetup takes to execute, besides its SG entries",
      in(0, 64 * K));
    d("setup_cycles_per_sg", p.setup_cycles_per_sg, "cycles",
      "cycles a DdpSetup takes per SG entry it writes to the SGL pool", in(0, 1 * K));
    d("sk_add_cycles", p.sk_add_cycles, "cycles",
      "cycles an SkAdd takes: flow table insert and flow context init", in(0, 64 * K));
    d("sk_del_cycles", p.sk_del_cycles, "cycles",
      "cycles an SkDel takes: flow table remove and flow context clear", in(0, 64 * K));
  }
};

}  // namespace nic
