// iSCSI as the storage host (host_driver/ulp_rx/storage_host) runs it on one connection, as
// the initiator: the login is read from both directions (the initiator's keys from its own
// stream, the target's from the Login Responses, settled by iscsi::negotiate), the target's
// login is the connection's setup, and full-feature phase goes to the iSCSI receive path
// (iscsi_rx) and to an offload with the negotiated digests and the initiator's
// MaxRecvDataSegmentLength. A read is a SCSI Command with R set and an Expected Data Transfer
// Length (whatever its CDB: the target answers each with Data-In by ITT).
//
// The host's full-feature PDUs carry digests only as negotiated, which the target's last
// Login Response tells: the host's own stream past its final Login Request waits for it.
#pragma once
#include "host_driver/ulp_rx/ulp_session.hpp"
#include "proto/iscsi.hpp"
#include "proto/iscsi_login.hpp"

namespace nic::host {

class IscsiSession final : public UlpSession {
 public:
  const char* protocol() const override { return "iscsi"; }
  bool opens_tx(ByteView payload) const override;
  bool opens_rx(ByteView payload) const override;
  void tx(ByteView bytes, const OnRead& read) override;
  size_t rx_setup(ByteView bytes) override;
  std::unique_ptr<ReadRx> make_rx(BufferIo& io, uint32_t seq,
                                  std::function<void(const CmdResult&)> done,
                                  std::function<void(uint32_t)> resync) const override;
  SkConfig offload(uint32_t seq, uint32_t queue_size) const override;
  uint32_t ddp_threshold(const DriverParams& p) const override { return p.iscsi_io_threshold; }
  std::string failure(const ReadRx& rx) const override;

 private:
  iscsi::StreamDecoder tx_dec_, rx_dec_;
  iscsi::TextAssembler tx_text_, rx_text_;  // the Login PDU sequence being read
  iscsi::TextKeys initiator_keys_, target_keys_;
  bool tx_login_final_ = false;  // the host asked to enter full-feature phase
  uint64_t rx_fed_ = 0;          // target bytes given to rx_dec_
  iscsi::SessionParams params_;
};

}  // namespace nic::host
