#include "hw/top/sram_budget.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>

#include "hw/abi/nic_abi.hpp"

namespace nic {

namespace {

uint32_t bits_for(uint64_t n) {  // bits to tell n values apart
  uint32_t b = 0;
  while ((uint64_t(1) << b) < n) ++b;
  return b;
}

// A set-associative cache of `entries` lines of `data_bytes` over keys [0, keys): each line keeps
// its data and a tag (the key's bits above the set index), valid, dirty and its LRU rank; each
// MSHR a key and a dirty bit.
void add_cache(std::vector<SramItem>& out, const std::string& name, uint32_t entries,
               uint32_t ways, uint32_t mshrs, uint64_t keys, uint32_t data_bytes) {
  const uint32_t sets = entries / ways;
  const uint32_t tag_bits = bits_for(keys) - std::min(bits_for(keys), bits_for(sets));
  const uint32_t meta_bits = tag_bits + 2 + bits_for(ways);
  out.push_back({name + ".lines", entries, data_bytes + (meta_bits + 7) / 8,
                 "a cached line: its data, tag, valid, dirty and LRU rank"});
  out.push_back({name + ".mshrs", mshrs, (bits_for(keys) + 1 + 7) / 8,
                 "a fetch under way: its key and whether a write waits for it"});
}

}  // namespace

uint32_t beat_word_bytes(uint32_t datapath_bytes) { return datapath_bytes + datapath_bytes / 8 + 4; }

std::vector<SramItem> sram_budget(const NicConfig& c, uint32_t ddp_slots_per_flow) {
  std::vector<SramItem> out;
  out.push_back({"mac.rx_fifo", c.mac.rx_fifo_bytes, 1, "a byte of a received frame"});
  const uint32_t word = beat_word_bytes(c.core.datapath_bytes);
  FifoParams::describe(c.fifo, [&](const char* key, uint32_t depth, auto&&...) {
    out.push_back({std::string("fifo.") + key, depth, word, "a beat: data, keep bits, start/end, frame index"});
  });
  out.push_back({"flow.table", c.flow.entries, kFlowEntryBytes,
                 "an offloaded flow: 5-tuple, valid, protocol, driver handle"});
  if (c.ctx_cache.enabled())
    add_cache(out, "ctx_cache", c.ctx_cache.entries, c.ctx_cache.ways, c.ctx_cache.mshrs,
              c.flow.entries, c.ctx_cache.transfer_bytes());
  else
    out.push_back({"flow.contexts", c.flow.entries, c.ctx_cache.context_bytes,
                   "a flow's framing and digest state, every flow on chip"});
  // Registrations, and SGLs beyond the one entry a slot holds: either every one on chip (the
  // pool for the longest SGL in every slot: what no miss cost guarantees) or caches.
  const DdpCacheParams& d = c.ddp_cache;
  const uint64_t regs = uint64_t(c.flow.entries) * ddp_slots_per_flow;
  const uint64_t reg_keys = uint64_t(c.flow.entries) * abi::kDdpSlotsMax;
  if (d.enabled()) {
    add_cache(out, "ddp_cache", d.entries, d.ways, d.mshrs, reg_keys, d.transfer_bytes());
    out.push_back({"ddp.valid_bits", c.flow.entries, (ddp_slots_per_flow + 7) / 8,
                   "a flow's valid bit per DDP slot: a free slot is not fetched"});
  } else
    out.push_back({"ddp.registrations", regs, d.context_bytes,
                   "a DDP registration, every slot of every flow on chip"});
  if (d.sgl_enabled())
    add_cache(out, "sgl_cache", d.sgl_entries, d.ways, d.mshrs,
              reg_keys * d.sgl_lines(c.placement.max_sg_entries), d.sgl_line_bytes);
  else
    out.push_back({"ddp.sgl_pool", regs * (c.placement.max_sg_entries - 1), uint32_t(abi::kSgEntrySize),
                   "an SG entry past a slot's own, the longest SGL in every slot"});
  out.push_back({"placement.cmd_buffer", c.placement.cmd_fetch_entries, uint32_t(abi::kCmdSize),
                 "a command-ring entry fetched ahead of execution"});
  out.push_back({"dma.rx_ram", c.dma.rx_ram_bytes, 1, "a byte of write data waiting for its TLPs"});
  // Host address 8 B, length 2, RAM offset or destination 3, tag and flags 3: 16 bytes.
  out.push_back({"dma.ops", c.dma.write_ops + c.dma.read_ops, 16,
                 "a write or read operation in flight: host address, length, RAM offset, tag"});
  return out;
}

uint64_t sram_total(const std::vector<SramItem>& items) {
  uint64_t t = 0;
  for (const SramItem& i : items) t += i.bytes();
  return t;
}

std::string kib_text(uint64_t bytes) {
  char b[32];
  if (bytes >= (uint64_t(1) << 20))
    std::snprintf(b, sizeof b, "%.2f MiB", double(bytes) / double(1 << 20));
  else
    std::snprintf(b, sizeof b, "%.1f KiB", double(bytes) / 1024.0);
  return b;
}

void write_sram_table(std::ostream& out, const std::vector<SramItem>& items) {
  const uint64_t total = sram_total(items);
  char line[256];
  std::snprintf(line, sizeof line, "  %-24s %9s %7s %12s %6s  %s\n", "structure", "entries",
                "B each", "size", "share", "entry");
  out << line;
  for (const SramItem& i : items) {
    std::snprintf(line, sizeof line, "  %-24s %9llu %7u %12s %5.1f%%  %s\n", i.name.c_str(),
                  (unsigned long long)i.entries, i.entry_bytes, kib_text(i.bytes()).c_str(),
                  total ? 100.0 * double(i.bytes()) / double(total) : 0.0, i.what.c_str());
    out << line;
  }
  std::snprintf(line, sizeof line, "  %-24s %30s\n", "total", kib_text(total).c_str());
  out << line;
}

}  // namespace nic
