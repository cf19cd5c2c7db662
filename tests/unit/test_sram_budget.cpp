#include <catch2/catch.hpp>

#include <map>
#include <sstream>
#include <string>

#include "hw/top/sram_budget.hpp"

namespace {
std::map<std::string, nic::SramItem> by_name(const std::vector<nic::SramItem>& items) {
  std::map<std::string, nic::SramItem> m;
  for (const auto& i : items) m.emplace(i.name, i);
  return m;
}
}  // namespace

TEST_CASE("sram: every structure the config implies, sized by hand", "[sram]") {
  nic::NicConfig c;
  c.mac.rx_fifo_bytes = 256 * 1024;
  c.core.datapath_bytes = 32;
  c.fifo.crc_to_placement = 20;
  c.flow.entries = 1000;
  c.ctx_cache.context_bytes = 100;
  c.placement.cmd_fetch_entries = 16;
  const auto items = nic::sram_budget(c, 128);
  const auto m = by_name(items);
  CHECK(m.at("mac.rx_fifo").bytes() == 262144);
  // 32 data bytes, 4 bytes of keep bits, 4 of start/end and frame index.
  CHECK(m.at("fifo.crc_to_placement").bytes() == 20 * 40);
  CHECK(m.at("fifo.mac_to_l3").bytes() == 8 * 40);
  CHECK(m.at("flow.table").bytes() == 1000 * 42);
  // No cache: every flow's context on chip, at its own size (not in whole lines).
  CHECK(m.at("flow.contexts").bytes() == 1000 * 100);
  CHECK(m.count("ctx_cache.lines") == 0);
  CHECK(m.at("placement.cmd_buffer").bytes() == 16 * 64);
  // No DDP cache: 128 slots of every flow on chip, 32 bytes each, and the pool for an SGL of
  // placement.max_sg_entries (128) in every slot, less the entry the slot holds itself.
  CHECK(m.at("ddp.registrations").bytes() == 1000 * 128 * 32);
  CHECK(m.at("ddp.sgl_pool").bytes() == 1000 * 128 * 127 * 16);
  uint64_t sum = 0;
  for (const auto& i : items) sum += i.entries * i.entry_bytes;
  CHECK(nic::sram_total(items) == sum);
}

TEST_CASE("sram: a context cache replaces the contexts by its lines and MSHRs", "[sram]") {
  nic::NicConfig c;
  c.flow.entries = 4096;  // 12-bit keys
  c.ctx_cache.entries = 1024;
  c.ctx_cache.ways = 4;  // 256 sets: 8 index bits, 4 tag bits
  c.ctx_cache.mshrs = 8;
  c.ctx_cache.context_bytes = 192;
  c.ctx_cache.line_bytes = 64;
  auto m = by_name(nic::sram_budget(c, 128));
  CHECK(m.count("flow.contexts") == 0);
  // 192 data bytes; tag 4 + valid + dirty + 2 LRU bits = 8 bits.
  CHECK(m.at("ctx_cache.lines").entry_bytes == 193);
  CHECK(m.at("ctx_cache.lines").entries == 1024);
  CHECK(m.at("ctx_cache.mshrs").bytes() == 8 * 2);  // 12-bit key + dirty bit
  // 100-byte contexts move in two 64-byte lines: a line holds 128 data bytes.
  c.ctx_cache.context_bytes = 100;
  c.ctx_cache.ways = 1024;  // one set: the whole key is the tag, 12 + 2 + 10 bits
  m = by_name(nic::sram_budget(c, 128));
  CHECK(m.at("ctx_cache.lines").entry_bytes == 128 + 3);
}

TEST_CASE("sram: DDP caches replace the registrations and the SGL pool", "[sram]") {
  nic::NicConfig c;
  c.flow.entries = 4096;  // registration keys: 4096 flows x 65536 slots, 28 bits
  c.ddp_cache.entries = 4096;
  c.ddp_cache.ways = 4;  // 1024 sets: 10 index bits, 18 tag bits
  auto m = by_name(nic::sram_budget(c, 128));
  CHECK(m.count("ddp.registrations") == 0);
  // 32 data bytes; tag 18 + valid + dirty + 2 LRU bits = 22 bits, 3 bytes.
  CHECK(m.at("ddp_cache.lines").entry_bytes == 32 + 3);
  CHECK(m.at("ddp.valid_bits").bytes() == 4096 * 128 / 8);
  CHECK(m.at("ddp.sgl_pool").entries == uint64_t(4096) * 128 * 127);  // SGLs still on chip
  c.ddp_cache.sgl_entries = 2048;  // 512 sets: 9 index bits
  m = by_name(nic::sram_budget(c, 128));
  CHECK(m.count("ddp.sgl_pool") == 0);
  // SGL keys: 28 registration bits x 32 lines of four entries (128-entry SGLs), 33 bits;
  // tag 24 + 2 + 2 = 28 bits, 4 bytes.
  CHECK(m.at("sgl_cache.lines").entry_bytes == 64 + 4);
  CHECK(m.at("sgl_cache.lines").entries == 2048);
}

TEST_CASE("sram: the table lists every structure and the total", "[sram]") {
  nic::NicConfig c;
  std::ostringstream o;
  nic::write_sram_table(o, nic::sram_budget(c, 128));
  const std::string t = o.str();
  CHECK(t.find("mac.rx_fifo") != std::string::npos);
  CHECK(t.find("flow.contexts") != std::string::npos);
  CHECK(t.find("total") != std::string::npos);
  CHECK(nic::kib_text(1536) == "1.5 KiB");
  CHECK(nic::kib_text(3 << 20) == "3.00 MiB");
}
