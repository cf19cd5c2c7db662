// The NVMe/TCP controller of one closed-loop connection: it reads the host's stream in order
// (ICReq, read CapsuleCmds), answers the ICReq at once and each read after its service time,
// with the read's data in C2HData PDUs and a CapsuleResp (or the SUCCESS flag on the last
// PDU). Reads whose service ends first are answered first, so responses leave in any order.
// Service times and read data are ReadService's. Plain C++.
#pragma once
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "proto/nvme_tcp.hpp"
#include "tb/closed_loop/controller.hpp"
#include "tb/closed_loop/read_service.hpp"

namespace nic::loop {

struct NvmeTargetParams {
  uint64_t seed = 1;
  uint32_t conn = 0;
  uint32_t max_pdu_data = 0;  // C2HData bytes per PDU, 0: a read in one PDU
  double success_flag = 0;    // share of reads ended by SUCCESS instead of a CapsuleResp
  uint64_t service_ps = 10'000'000;
  bool service_exponential = false;
};

class NvmeTarget final : public Controller {
 public:
  explicit NvmeTarget(const NvmeTargetParams& p);

  void on_host_bytes(ByteView bytes, uint64_t now_ps) override;
  std::optional<uint64_t> next_ready() const override;
  void take_ready(uint64_t now_ps, const Write& write) override;
  const std::string& failure() const override { return failure_; }
  const ControllerStats& stats() const override { return st_; }

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
  void respond(const Pending& p, const Write& write);

  const NvmeTargetParams p_;
  ReadService svc_;
  nvme::StreamDecoder in_;
  nvme::ConnParams cp_;
  bool have_ic_ = false;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> pending_;
  uint64_t arrivals_ = 0;
  uint16_t sqhd_ = 0;
  std::string failure_;
  ControllerStats st_;
};

}  // namespace nic::loop
