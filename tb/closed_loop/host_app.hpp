// The host application of one closed-loop connection, whatever its protocol (NvmeInitiator,
// IscsiInitiator): fio's side of a queue. It opens the session, keeps up to queue-depth reads
// in flight once the driver says the session is ready, and measures each read's completion
// latency (issue to completion, fio's clat). The bytes it writes go to the host's TCP send
// stream. Plain C++.
#pragma once
#include <cstdint>
#include <functional>

#include "hw/common/latency_histogram.hpp"
#include "tb/gen/config.hpp"
#include "util/bytes.hpp"

namespace nic::loop {

struct InitiatorParams {
  uint64_t seed = 1;
  uint32_t conn = 0;
  uint32_t queue_depth = 32;
  uint64_t ios = 256;
  gen::IoSizeDist io_size;
  bool hdgst = false, ddgst = false;
  uint8_t hpda = 0;                  // NVMe/TCP
  uint32_t iscsi_max_recv = 262144;  // iSCSI: the initiator's MaxRecvDataSegmentLength
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

class HostApp {
 public:
  using Write = std::function<void(ByteView)>;
  virtual ~HostApp() = default;

  // The connection is up: what opens the session (ICReq, Login Request).
  virtual void open(const Write& write) = 0;
  // The driver says the session is set up: reads may go.
  virtual void ready(uint64_t now_ps, const Write& write) = 0;
  // The host has the target's stream in order up to `in_order` bytes (modulo 2^32): told
  // before ready() and after every segment. What the driver reads is not the application's,
  // but how far it got may be.
  virtual void received(uint32_t in_order, uint64_t now_ps, const Write& write) {
    (void)in_order, (void)now_ps, (void)write;
  }
  // The read named `tag` (the driver's record: a CID, an ITT) completed at `now_ps`; issues
  // what the freed slot allows. A tag not in flight is ignored: the verdict will say.
  virtual void completed(uint32_t tag, bool ok, uint64_t now_ps, const Write& write) = 0;
  virtual bool done() const = 0;
  virtual uint64_t in_flight() const = 0;
  virtual const IoFigures& figures() const = 0;
};

}  // namespace nic::loop
