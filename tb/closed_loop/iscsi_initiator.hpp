// The host application of one closed-loop iSCSI connection, as fio drives a LUN through an
// iSCSI initiator: one Login Request that starts in the operational stage (no authentication
// to negotiate) and asks for full-feature phase, offering the run's digests and declaring the
// initiator's MaxRecvDataSegmentLength. In full-feature phase it probes the LUN with TEST UNIT
// READY, as Linux and libiscsi do (the target's answer, sense data in a short PDU, is where
// Wireshark learns whether data digests are on), then keeps up to queue-depth READs in
// flight, READ(10) where it can say the read and READ(16) at random or where it must, until it
// has issued its share. The driver completes reads only, so the probe's answer is known by
// the target's stream growing by at least a bare SCSI Response after the login: nothing else
// can come before the host sends more.
//
// ITTs: the slot in bits 11..0 (the driver's DDP slot rule takes an ITT's low bits, and every
// live read has its own slot), a 15-bit generation counter bumped at each use above them, and
// the high bit set, as Linux's tags: a slot's next ITT differs from the one before, and none
// is the reserved 0xffffffff; the login's and the probe's have bit 30 set, which no read's
// has. CmdSN rises per command from the login's; ExpStatSN follows the StatSNs the target
// spends (IscsiTarget: one for the login, one for the probe, one per read in completion
// order), since the driver, not this application, reads the target's PDUs. Plain C++.
#pragma once
#include <cstdint>

#include "proto/iscsi.hpp"
#include "tb/closed_loop/host_app.hpp"
#include "tb/closed_loop/read_slots.hpp"
#include "tb/gen/rng.hpp"

namespace nic::loop {

class IscsiInitiator final : public HostApp {
 public:
  static constexpr uint32_t kLoginItt = 0xc0000000u, kProbeItt = kLoginItt + 1;
  static uint32_t itt_of(uint16_t slot, uint32_t gen) {
    return 0x80000000u | (gen & 0x7fff) << 12 | slot;
  }

  explicit IscsiInitiator(const InitiatorParams& p);

  void open(const Write& write) override;  // the Login Request
  void ready(uint64_t now_ps, const Write& write) override;  // sends the probe
  void received(uint32_t in_order, uint64_t now_ps, const Write& write) override;
  void completed(uint32_t itt, bool ok, uint64_t now_ps, const Write& write) override;
  bool done() const override { return slots_.done(); }
  uint64_t in_flight() const override { return slots_.in_flight(); }
  const IoFigures& figures() const override { return slots_.figures(); }
  // Its full-feature phase parameters, as it asks for them.
  const iscsi::ConnParams& params() const { return cp_; }

 private:
  void issue(uint64_t now_ps, const Write& write);

  const InitiatorParams p_;
  iscsi::ConnParams cp_;
  gen::Rng rng_;
  ReadSlots slots_;
  bool probing_ = false, ready_ = false;
  uint32_t received_ = 0, probe_from_ = 0;  // the target's stream: in order, at the probe
  uint32_t cmdsn_, exp_statsn_;
};

}  // namespace nic::loop
