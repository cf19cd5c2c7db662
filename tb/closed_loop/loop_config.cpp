#include "tb/closed_loop/loop_config.hpp"

#include <stdexcept>

#include "proto/iscsi.hpp"
#include "tb/closed_loop/read_slots.hpp"

namespace nic::loop {

namespace {

void probability(const char* name, double p) {
  if (!(p >= 0 && p <= 1)) throw std::invalid_argument(std::string(name) + " must be a probability in [0, 1]");
}

}  // namespace

void LoopConfig::validate() const {
  if (ulp != "nvme-tcp" && ulp != "iscsi") throw std::invalid_argument("ulp: nvme-tcp or iscsi, not " + ulp);
  if (connections < 1 || connections > 16384) throw std::invalid_argument("connections: 1..16384");
  if (queue_depth < 1 || queue_depth > ReadSlots::kMaxDepth)
    throw std::invalid_argument("queue depth: 1..4096 (a tag's slot bits)");
  if (targets < 1 || targets > connections) throw std::invalid_argument("targets: 1..connections");
  if (ios < 1) throw std::invalid_argument("ios: at least one read per connection");
  if (io_size.max() < 1) throw std::invalid_argument("io size: at least one byte");
  if (!(service_us >= 0)) throw std::invalid_argument("service time: not negative");
  if (hpda > 31) throw std::invalid_argument("hpda: 0..31");
  probability("success flag", success_flag);
  probability("iscsi status pdu", iscsi_status_pdu);
  if (iscsi_max_recv < 512 || iscsi_max_recv > iscsi::kMaxDataSegmentLength)
    throw std::invalid_argument("iscsi max recv: 512..16777215 bytes (MaxRecvDataSegmentLength)");
  if (iscsi()) {
    if (hpda || max_pdu_data || success_flag > 0)
      throw std::invalid_argument("hpda, max pdu data and success flag are NVMe/TCP's: not with iscsi");
    // A SCSI READ names whole blocks.
    for (const uint32_t s : io_size.sizes)
      if (s % 512) throw std::invalid_argument("io size: iSCSI reads are whole 512-byte blocks");
  }
  if (const std::string e = tcp.validate(); !e.empty()) throw std::invalid_argument("tcp: " + e);
  if (!(rtt_us >= 0)) throw std::invalid_argument("rtt: not negative");
  if (!(sender_gbps >= 0)) throw std::invalid_argument("sender rate: not negative");
  if (host_window_bytes < tcp.mss || host_window_bytes > (65535u << 7))
    throw std::invalid_argument("host window: from one MSS to 65535 << 7 bytes");
  for (const auto& [dir, l] : {std::pair<const char*, const LinkImpairments*>{"c2h", &c2h}, {"h2c", &h2c}}) {
    probability((std::string(dir) + " loss").c_str(), l->loss);
    probability((std::string(dir) + " dup").c_str(), l->dup);
    probability((std::string(dir) + " reorder").c_str(), l->reorder);
    if (!(l->reorder_us >= 0)) throw std::invalid_argument(std::string(dir) + " reorder delay: not negative");
  }
  if (uint64_t(connections) + 49152 > 65536) throw std::invalid_argument("connections: at most 16384");
}

}  // namespace nic::loop
