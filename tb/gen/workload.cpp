#include "tb/gen/workload.hpp"

#include "util/sha256.hpp"


#include <algorithm>
#include <stdexcept>

#include "proto/crc32c.hpp"
#include "proto/nvme_tcp.hpp"
#include "tb/gen/config.hpp"
#include "tb/gen/rng.hpp"

namespace nic::gen {

namespace {

// Salts for Rng::derive so each purpose draws from its own stream.
enum Stream : uint64_t { kWorkload = 1, kReadData = 2 };

constexpr uint64_t kNamespaceBlocks = 1ull << 31;  // 1 TiB of 512-byte blocks

size_t lookalike_len(const GenConfig& cfg) {
  return nvme::header_len(nvme::PduType::C2HData) + (cfg.hdgst ? nvme::kDigestLen : 0);
}

// A C2HData header that would pass every check a resyncing receiver can make without
// following PLEN: type, HLEN, flags and PDO for the negotiated digests and HPDA, a CID inside
// the queue (with a generation when CIDs carry one), a PLEN that fits its DATAL, and a valid header digest when one is negotiated.
void write_lookalike(uint8_t* p, const GenConfig& cfg, Rng& rng) {
  const nvme::ConnParams cp{cfg.hdgst, cfg.ddgst, cfg.hpda, 0};
  const uint32_t hlen = nvme::header_len(nvme::PduType::C2HData);
  const uint32_t align = cp.pdo_align(nvme::PduType::C2HData);
  const uint32_t pdo = (hlen + (cfg.hdgst ? nvme::kDigestLen : 0) + align - 1) / align * align;
  const uint32_t datal = uint32_t(rng.range(1, 32)) * 4096;
  nvme::CommonHeader ch;
  ch.type = nvme::PduType::C2HData;
  ch.flags = uint8_t((cfg.hdgst ? nvme::pduflag::HDGSTF : 0) |
                     (cfg.ddgst ? nvme::pduflag::DDGSTF : 0) |
                     (rng.chance(0.5) ? nvme::pduflag::LAST_PDU : 0));
  ch.hlen = uint8_t(hlen);
  ch.pdo = uint8_t(pdo);
  ch.plen = pdo + datal + (cfg.ddgst ? nvme::kDigestLen : 0);
  std::fill(p, p + hlen, 0);
  ch.encode(p);
  uint16_t cid = uint16_t(rng.below(cfg.queue_depth));
  if (cfg.cid_genctr) cid |= uint16_t(rng.range(1, 15) << 12);
  st_le16(p + 8, cid);
  st_le32(p + 12, cfg.max_pdu_data ? uint32_t(rng.below(4)) * cfg.max_pdu_data : 0);
  st_le32(p + 16, datal);
  if (cfg.hdgst) st_le32(p + hlen, crc32c::compute(p, hlen));
}

// Plants one lookalike wholly inside a single PDU's data, so it is contiguous on the wire.
void plant_lookalike(ReadData& rd, const GenConfig& cfg, Rng& rng) {
  const uint32_t len = uint32_t(rd.bytes.size());
  const uint32_t chunk = cfg.max_pdu_data ? cfg.max_pdu_data : len;
  const uint32_t need = uint32_t(lookalike_len(cfg));
  std::vector<uint32_t> fitting;  // PDU indexes whose data can hold the lookalike
  for (uint32_t k = 0; uint64_t(k) * chunk < len; ++k)
    if (std::min(chunk, len - k * chunk) >= need) fitting.push_back(k);
  if (fitting.empty()) return;
  const uint32_t k = fitting[rng.below(fitting.size())];
  const uint32_t size = std::min(chunk, len - k * chunk);
  const uint32_t off = k * chunk + uint32_t(rng.below(size - need + 1));
  write_lookalike(rd.bytes.data() + off, cfg, rng);
  rd.lookalike_offsets.push_back(off);
}

}  // namespace

std::vector<std::vector<ReadPlan>> plan_reads(const GenConfig& cfg) {
  Rng rng = Rng::derive(cfg.seed, kWorkload);
  std::vector<std::vector<ReadPlan>> per_flow(cfg.flows);
  uint64_t bytes = 0;
  for (uint64_t i = 0; cfg.total_bytes ? bytes < cfg.total_bytes : i < cfg.ios; ++i) {
    ReadPlan p;
    auto& flow = per_flow[i % cfg.flows];
    p.order = uint32_t(flow.size());
    p.length = cfg.io_size.draw(rng);
    const uint64_t blocks = (p.length + kBlockSize - 1) / kBlockSize;
    p.slba = rng.below(kNamespaceBlocks - blocks) & ~uint64_t(7);  // 4 KiB aligned
    p.data_seed = rng.next();
    p.success_flag = rng.chance(cfg.success_flag);
    p.corrupt_ddgst = rng.chance(cfg.imp.corrupt_ddgst);
    p.lookalike = rng.chance(cfg.imp.plant_lookalike);
    bytes += p.length;
    flow.push_back(p);
  }
  return per_flow;
}

uint32_t pdu_count(uint32_t length, uint32_t max_pdu_data) {
  if (max_pdu_data == 0 || length == 0) return 1;
  return (length + max_pdu_data - 1) / max_pdu_data;
}

ReadData make_read_data(const ReadPlan& plan, const GenConfig& cfg) {
  ReadData rd;
  rd.bytes.resize(plan.length);
  Rng rng = Rng::derive(plan.data_seed, kReadData);
  for (size_t i = 0; i < rd.bytes.size(); i += 8) {
    const uint64_t w = rng.next();
    for (size_t j = 0; j < 8 && i + j < rd.bytes.size(); ++j) rd.bytes[i + j] = uint8_t(w >> (8 * j));
  }
  if (plan.lookalike) plant_lookalike(rd, cfg, rng);
  rd.sha256 = sha256_hex(rd.bytes);
  return rd;
}


}  // namespace nic::gen
