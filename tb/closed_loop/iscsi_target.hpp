// The iSCSI target of one closed-loop connection (RFC 7143): it reads the initiator's stream
// in order. Each Login Request is answered at once, its keys as a Debian target answers them
// (digests as the initiator offers them when it may, AuthMethod=None, the numeric keys'
// minimum, the target's own MaxRecvDataSegmentLength declared); the one that asks for
// full-feature phase settles the session (iscsi::negotiate). A TEST UNIT READY is answered at
// once, the session's first with the UNIT ATTENTION of a new session in sense data, as tgtd
// answers the probe of a Linux or libiscsi initiator. Each SCSI Command with a READ(10)
// or READ(16) CDB is answered after its service time, as tgtd and istgt do: Data-In PDUs of at
// most the initiator's MaxRecvDataSegmentLength, DataSN from 0, Buffer Offsets in order, F on
// the last only, which carries the status (S), or, for a share of reads, a SCSI Response after
// it. Reads whose service ends first are answered first.
//
// StatSN starts at the first Login Request's ExpStatSN and rises by one per Login Response and
// per status, so an initiator that does not read the target's PDUs itself (the closed loop's:
// the driver does) still knows each one. ExpCmdSN follows the commands; MaxCmdSN opens a window
// of `cmd_window` commands. Service times and read data are ReadService's. Plain C++.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <string>
#include <unordered_set>
#include <vector>

#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"
#include "tb/closed_loop/controller.hpp"
#include "tb/closed_loop/read_service.hpp"

namespace nic::loop {

struct IscsiTargetParams {
  uint64_t seed = 1;
  uint32_t conn = 0;
  double status_pdu = 0;  // share of reads ended by a SCSI Response instead of S on a Data-In
  uint32_t cmd_window = 32;  // commands the target takes ahead: MaxCmdSN - ExpCmdSN + 1
  uint64_t service_ps = 10'000'000;
  bool service_exponential = false;
};

class IscsiTarget final : public Controller {
 public:
  // What it declares for what it receives (only commands, here), as the generator's target.
  static constexpr uint32_t kMaxRecv = 262144;
  static constexpr uint32_t kMaxBurst = 16776192;  // the largest allowed

  explicit IscsiTarget(const IscsiTargetParams& p);

  void on_host_bytes(ByteView bytes, uint64_t now_ps) override;
  std::optional<uint64_t> next_ready() const override;
  void take_ready(uint64_t now_ps, const Write& write) override;
  const std::string& failure() const override { return failure_; }
  const ControllerStats& stats() const override { return st_; }
  // The settled session (defaults until the login has ended).
  const iscsi::SessionParams& session() const { return session_; }

 private:
  struct Pending {
    uint64_t ready_ps;
    uint64_t order;  // ties in arrival order: deterministic
    uint32_t itt;
    uint32_t length;
    enum Kind : uint8_t { Login, Probe, Read } kind;  // Login: the next of login_out_
    bool operator>(const Pending& o) const {
      return ready_ps != o.ready_ps ? ready_ps > o.ready_ps : order > o.order;
    }
  };
  void login(const iscsi::Pdu& pdu, const iscsi::LoginReq& req, uint64_t now_ps);
  void command(const iscsi::ScsiCommand& cmd, uint64_t now_ps);
  iscsi::TextKeys answer(const iscsi::TextKeys& offered) const;
  void respond(const Pending& p, const Write& write);
  void respond_probe(uint32_t itt, const Write& write);
  uint32_t max_cmdsn() const { return exp_cmdsn_ + p_.cmd_window - 1; }

  const IscsiTargetParams p_;
  ReadService svc_;
  iscsi::StreamDecoder in_;
  iscsi::TextKeys initiator_keys_, target_keys_;
  iscsi::SessionParams session_;
  iscsi::ConnParams out_;  // what it sends in full-feature phase
  bool logged_in_ = false, first_login_ = true, attention_sent_ = false;
  uint32_t statsn_ = 0, exp_cmdsn_ = 0;
  std::deque<Bytes> login_out_;  // Login Responses, encoded as their requests arrived
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>> pending_;
  std::unordered_set<uint32_t> live_;  // ITTs of the commands being served
  uint64_t arrivals_ = 0;
  std::string failure_;
  ControllerStats st_;
};

}  // namespace nic::loop
