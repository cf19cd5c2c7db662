// The read workload: which reads each connection issues, the bytes each read returns, and the
// per-command impairment choices (digest corruption, planted header lookalikes). Decided
// before any packet is scheduled, so the workload does not depend on wire interleaving.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "util/bytes.hpp"

namespace nic::gen {

struct GenConfig;

struct ReadPlan {
  uint32_t order = 0;   // index among the connection's reads, in submission order
  uint32_t length = 0;  // bytes (the SGL length)
  uint64_t slba = 0;    // 512-byte blocks
  uint64_t data_seed = 0;
  bool success_flag = false;   // last C2HData carries SUCCESS, no CapsuleResp
  bool corrupt_ddgst = false;  // one C2HData PDU of this read gets a wrong DDGST
  bool lookalike = false;      // plant a C2HData-header lookalike in the data
};

constexpr uint32_t kBlockSize = 512;

// Reads per connection; read i of the whole workload goes to connection i % flows.
std::vector<std::vector<ReadPlan>> plan_reads(const GenConfig& cfg);

// Number of C2HData PDUs a read of `length` bytes is sent in.
uint32_t pdu_count(uint32_t length, uint32_t max_pdu_data);

struct ReadData {
  Bytes bytes;
  std::vector<uint32_t> lookalike_offsets;  // where planted headers start inside `bytes`
  std::string sha256;                       // lowercase hex over `bytes`
};
// The bytes a read returns (pseudo-random from its seed, lookalike planted when asked).
ReadData make_read_data(const ReadPlan& plan, const GenConfig& cfg);

}  // namespace nic::gen
