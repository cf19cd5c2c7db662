// The host application of one closed-loop NVMe/TCP connection, as fio drives an NVMe/TCP
// queue: it opens the queue (ICReq), then keeps up to queue-depth reads in flight, issuing the
// next as a completion frees its slot, until it has issued its share. CIDs are Linux's (since
// 5.14): the slot in bits 11..0 and a 4-bit generation counter, bumped at each use, in bits
// 15..12. Plain C++.
#pragma once
#include <cstdint>

#include "proto/nvme_tcp.hpp"
#include "tb/closed_loop/host_app.hpp"
#include "tb/closed_loop/read_slots.hpp"
#include "tb/gen/rng.hpp"

namespace nic::loop {

class NvmeInitiator final : public HostApp {
 public:
  explicit NvmeInitiator(const InitiatorParams& p);

  void open(const Write& write) override;  // the ICReq
  void ready(uint64_t now_ps, const Write& write) override;
  void completed(uint32_t cid, bool ok, uint64_t now_ps, const Write& write) override;
  bool done() const override { return slots_.done(); }
  uint64_t in_flight() const override { return slots_.in_flight(); }
  const IoFigures& figures() const override { return slots_.figures(); }
  const nvme::ConnParams& params() const { return cp_; }

 private:
  void issue(uint64_t now_ps, const Write& write);

  const InitiatorParams p_;
  nvme::ConnParams cp_;
  gen::Rng rng_;
  ReadSlots slots_;
  bool ready_ = false;
};

}  // namespace nic::loop
