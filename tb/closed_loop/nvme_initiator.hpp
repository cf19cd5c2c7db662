// The host application of one closed-loop connection, as fio drives an NVMe/TCP queue: it
// opens the queue (ICReq), then keeps up to queue-depth reads in flight, issuing the next as a
// completion frees its slot, until it has issued its share; and it measures each read's
// completion latency (issue to completion, fio's clat). CIDs are Linux's (since 5.14): the slot
// in bits 11..0 and a 4-bit generation counter, bumped at each use, in bits 15..12. The bytes
// it writes go to the host's TCP send stream. Plain C++.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "hw/common/latency_histogram.hpp"
#include "proto/nvme_tcp.hpp"
#include "tb/gen/config.hpp"
#include "tb/gen/rng.hpp"
#include "util/bytes.hpp"

namespace nic::loop {

struct InitiatorParams {
  uint64_t seed = 1;
  uint32_t conn = 0;
  uint32_t queue_depth = 32;
  uint64_t ios = 256;
  gen::IoSizeDist io_size;
  bool hdgst = false, ddgst = false;
  uint8_t hpda = 0;
};

// fio's figures for one connection (or, summed, for the run).
struct IoFigures {
  uint64_t reads = 0, errors = 0, bytes = 0;
  uint64_t first_issue_ps = 0, last_complete_ps = 0;
  hw::LatencyHistogram clat_ns;
  void merge(const IoFigures& o);
  double seconds() const {
    return last_complete_ps > first_issue_ps ? double(last_complete_ps - first_issue_ps) * 1e-12 : 0;
  }
};

class NvmeInitiator {
 public:
  using Write = std::function<void(ByteView)>;
  explicit NvmeInitiator(const InitiatorParams& p);

  void open(const Write& write) const;  // the ICReq
  // The queue is set up (the ICResp arrived): reads may go.
  void ready(uint64_t now_ps, const Write& write);
  static constexpr uint32_t kMaxQueueDepth = 4096;  // slots the CID's low 12 bits name
  // The read with `cid` completed at `now_ps`; issues what the freed slot allows.
  void completed(uint16_t cid, bool ok, uint64_t now_ps, const Write& write);
  bool done() const { return done_ == p_.ios; }
  uint64_t in_flight() const { return issued_ - done_; }
  const IoFigures& figures() const { return fig_; }
  const nvme::ConnParams& params() const { return cp_; }

 private:
  struct Slot {
    uint64_t issued_ps = 0;
    uint32_t length = 0;
    uint16_t cid = 0;  // of the read in the slot
    uint8_t gen = 0;   // generation of the slot's last read
    bool busy = false;
  };
  void issue(uint64_t now_ps, const Write& write);

  const InitiatorParams p_;
  nvme::ConnParams cp_;
  gen::Rng rng_;
  std::vector<Slot> slots_;
  std::deque<uint16_t> free_;   // slots, longest free first
  bool ready_ = false;
  uint64_t issued_ = 0, done_ = 0;
  IoFigures fig_;
};

}  // namespace nic::loop
