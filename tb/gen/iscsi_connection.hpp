// One iSCSI connection (RFC 7143) of the generator: an initiator that logs in (security stage
// with AuthMethod=None, then the operational stage that settles digests and
// MaxRecvDataSegmentLength) and keeps up to queue-depth READs in flight, and a target that
// answers them out of order with Data-In PDUs no longer than the initiator's
// MaxRecvDataSegmentLength, status on the last Data-In or in a SCSI Response. Between the two,
// as Linux and libiscsi do, the initiator probes the LUN with TEST UNIT READY, which the target
// answers with the UNIT ATTENTION of a new session, as tgtd and istgt do: a short response with
// sense data, the first PDU with data after login (where Wireshark settles the data digest).
// The Adversary's knobs take their iSCSI form here (tb/gen/config.hpp).
#pragma once
#include <cstdint>
#include <vector>

#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"
#include "tb/gen/connection.hpp"

namespace nic::gen {

class IscsiConnection final : public Connection {
 public:
  IscsiConnection(const GenConfig& cfg, const ConnectionSetup& setup, std::vector<ReadPlan> reads,
                  Totals& totals);

  // The target's own MaxRecvDataSegmentLength: it bounds what the initiator sends (nothing
  // here but commands), so one fixed value is enough.
  static constexpr uint32_t kTargetMaxRecv = 262144;
  // Tags with the high bit set, as Linux's: the login's, then one per READ.
  static constexpr uint32_t kLoginItt = 0x80000000u, kProbeItt = kLoginItt + 1,
                            kFirstItt = kProbeItt + 1;

 private:
  // Markers of the setup PDUs: the two login stages, then the TEST UNIT READY probe.
  enum : int64_t { kSecurityStep = -1, kOperationalStep = -2, kProbeStep = -3 };
  struct Task {  // a READ the target is answering
    uint32_t order;
    ReadData data;
    uint32_t sent = 0;    // bytes already in Data-In PDUs
    uint32_t datasn = 0;  // Data-In PDUs sent
    uint64_t ready_ps = 0;
    Adversity adv;
  };

  void on_connected(uint64_t at_ps) override;
  void on_host_pdu(int64_t mark, uint64_t at_ps) override;
  bool on_controller_pdu(int64_t mark, uint64_t at_ps) override;
  void issue_reads(uint64_t at_ps) override;
  void refill() override;
  template <class Login>
  Login login_pdu(uint8_t csg) const;
  iscsi::TextKeys login_keys(uint8_t csg, bool initiator) const;
  void send_login_req(uint8_t csg, uint64_t at_ps);
  void send_login_resp(uint8_t csg, uint64_t at_ps);
  void send_probe(uint64_t at_ps);
  void send_probe_resp(uint64_t at_ps);
  void start_read(uint32_t order, uint64_t at_ps);
  void send_data_in(Task& t);
  // A Data-In without F or status: the Adversary's extra PDUs (overrun, duplicate, stale,
  // unknown ITT).
  void send_extra_data_in(uint32_t itt, uint32_t datasn, uint32_t offset, ByteView data,
                          uint64_t at_ps);
  // A SCSI Response with GOOD status for `itt`; returns its StatSN.
  uint32_t send_response(uint32_t itt, uint32_t expdatasn, uint64_t at_ps);
  Bytes drop_connection() const;  // Async Message: the target drops this connection
  void break_header(Bytes& pdu, IscsiHeaderFault f) const;
  uint32_t data_in_size() const;

  iscsi::ConnParams ff_;  // full-feature phase, both directions alike but for the limit
  uint64_t isid_;
  uint16_t tsih_;
  bool logged_in_ = false;
  uint32_t in_flight_ = 0;
  uint32_t next_itt_ = kFirstItt;
  uint32_t cmdsn_ = 1;         // initiator: CmdSN of its next non-immediate command
  uint32_t exp_statsn_ = 0;    // initiator: next StatSN it expects
  uint32_t statsn_;            // target: StatSN of its next status
  uint32_t exp_cmdsn_ = 1;     // target: commands received, as ExpCmdSN
  std::vector<uint32_t> statsn_of_;  // by order: the StatSN that completed the read
  std::vector<Task> active_;
  size_t serving_ = SIZE_MAX;  // without interleaving, the task whose Data-In go next
};

}  // namespace nic::gen
