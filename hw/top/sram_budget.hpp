// The NIC's on-chip memory as an architect budgets it: every RAM the configuration implies
// (FIFOs, tables, caches, buffers), entries times the bytes silicon would keep per entry. The
// figure is the config's, not the model's heap (the model keeps counters and conveniences
// silicon would not). What each entry holds is in docs/state.md ("SRAM budget"). Plain C++.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "hw/top/nic_config.hpp"

namespace nic {

struct SramItem {
  std::string name;   // the config section or block it belongs to, e.g. "fifo.mac_to_l3"
  uint64_t entries;   // words of the RAM
  uint32_t entry_bytes;
  std::string what;   // one line: what an entry is
  uint64_t bytes() const { return entries * entry_bytes; }
};

// Bytes of one beat word on an internal stream: data, a keep bit per byte, and start, end and
// the frame's index in the packet-context RAM (4 bytes).
uint32_t beat_word_bytes(uint32_t datapath_bytes);
// Bytes of one flow-table entry: the 5-tuple (two 16-byte addresses, two ports, the IP version),
// valid and protocol (1), the driver's handle (4).
constexpr uint32_t kFlowEntryBytes = 37 + 1 + 4;

// `ddp_slots_per_flow`: the DDP slots SkAdd gives each flow (abi::ddp_slots of the driver's
// queue size), what an all-on-chip registration table must hold for every flow.
std::vector<SramItem> sram_budget(const NicConfig& c, uint32_t ddp_slots_per_flow);
uint64_t sram_total(const std::vector<SramItem>& items);
// A table: one row per item with its share of the total, then the total.
void write_sram_table(std::ostream& out, const std::vector<SramItem>& items);
// "1.5 KiB", "192 KiB", "3.25 MiB".
std::string kib_text(uint64_t bytes);

}  // namespace nic
