// NVMe/TCP as the storage host (host_driver/ulp_rx/storage_host) runs it on one connection:
// the host's ICReq and Read capsules decoded from its own stream, the controller's ICResp as
// the connection's setup, then the NVMe/TCP receive path (nvme_rx) and an offload with the
// digests and HPDA the ICReq/ICResp exchange settled.
#pragma once
#include "host_driver/ulp_rx/ulp_session.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::host {

class NvmeTcpSession final : public UlpSession {
 public:
  const char* protocol() const override { return "nvme-tcp"; }
  bool opens_tx(ByteView payload) const override;
  bool opens_rx(ByteView payload) const override;
  void tx(ByteView bytes, const OnRead& read) override;
  size_t rx_setup(ByteView bytes) override;
  std::unique_ptr<ReadRx> make_rx(BufferIo& io, uint32_t seq,
                                  std::function<void(const CmdResult&)> done,
                                  std::function<void(uint32_t)> resync) const override;
  SkConfig offload(uint32_t seq, uint32_t queue_size) const override;
  uint32_t ddp_threshold(const DriverParams& p) const override { return p.io_threshold; }
  std::string failure(const ReadRx& rx) const override;

 private:
  nvme::StreamDecoder tx_dec_;
  uint8_t hpda_ = 0;  // from the host's ICReq
  Bytes icresp_;
  nvme::ConnParams cp_;  // the controller's PDUs, once ICResp is in
};

}  // namespace nic::host
