// The NVMe/TCP controller of one closed-loop connection: it reads the host's stream in order
// (ICReq, read CapsuleCmds), answers the ICReq at once and each read after its service time,
// with the read's data in C2HData PDUs and a CapsuleResp (or the SUCCESS flag on the last
// PDU). Reads whose service ends first are answered first, so responses leave in any order.
// A read's bytes are pseudo-random from (seed, connection, command number); nothing checks
// them here: the verdict decodes the wire independently. Plain C++.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "proto/nvme_tcp.hpp"
#include "tb/gen/rng.hpp"
#include "util/bytes.hpp"

namespace nic::loop {

struct NvmeTargetParams {
  uint64_t seed = 1;
  uint32_t conn = 0;
  uint32_t max_pdu_data = 0;  // C2HData bytes per PDU, 0: a read in one PDU
  double success_flag = 0;    // share of reads ended by SUCCESS instead of a CapsuleResp
  uint64_t service_ps = 10'000'000;
  bool service_exponential = false;
};

struct NvmeTargetStats {
  uint64_t commands = 0, reads = 0, data_bytes = 0, data_pdus = 0, success_flags = 0;
};

class NvmeTarget {
 public:
  explicit NvmeTarget(const NvmeTargetParams& p);

  // The host's stream, in order, as it arrived at `now_ps`.
  void on_host_bytes(ByteView bytes, uint64_t now_ps);
  // When the next response is ready, if one is waiting.
  std::optional<uint64_t> next_ready() const;
  // Hands every response ready at `now_ps` to `write` (the TCP send stream), in ready order.
  void take_ready(uint64_t now_ps, const std::function<void(ByteView)>& write);
  // The host's stream could not be read (not NVMe/TCP, or a command this target does not
  // serve): why, empty while all is well.
  const std::string& failure() const { return failure_; }
  const NvmeTargetStats& stats() const { return st_; }

 private:
  struct Pending {
    uint64_t ready_ps;
    uint64_t order;  // ties in arrival order: deterministic
    uint16_t cid;
    uint32_t length;
    bool ic_resp;
    bool operator>(const Pending& o) const {
      return ready_ps != o.ready_ps ? ready_ps > o.ready_ps : order > o.order;
    }
  };
  void respond(const Pending& p, const std::function<void(ByteView)>& write);
  uint64_t service_ps();

  const NvmeTargetParams p_;
  gen::Rng rng_;
  nvme::StreamDecoder in_;
  nvme::ConnParams cp_;
  bool have_ic_ = false;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> pending_;
  uint64_t arrivals_ = 0;
  uint16_t sqhd_ = 0;
  Bytes data_;
  std::string failure_;
  NvmeTargetStats st_;
};

}  // namespace nic::loop
