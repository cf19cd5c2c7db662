// What the storage host (host_driver/ulp_rx/storage_host) asks of a protocol for one
// connection: which segments open each direction's stream, the read commands in the host's
// own stream, the connection setup the target's stream starts with (NVMe/TCP ICResp, the
// iSCSI login), and then the receive path and offload settings for the rest. The protocols
// implement it in their own folders (host_driver/nvme_tcp, host_driver/iscsi).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "host_driver/driver_params.hpp"
#include "host_driver/ulp_ddp/ulp_ddp.hpp"
#include "host_driver/ulp_rx/pdu_rx.hpp"
#include "util/bytes.hpp"

namespace nic::host {

class UlpSession {
 public:
  virtual ~UlpSession() = default;
  virtual const char* protocol() const = 0;  // "nvme-tcp", "iscsi"

  // A segment whose payload begins the host's (tx) or the target's (rx) stream: anchors a
  // capture that starts after the handshake.
  virtual bool opens_tx(ByteView payload) const = 0;
  virtual bool opens_rx(ByteView payload) const = 0;

  // The host's own stream bytes, in order (none: go on with what is held, e.g. once the
  // login told the digests): `read(tag, length)` for each read command found.
  using OnRead = std::function<void(uint32_t tag, uint32_t length)>;
  virtual void tx(ByteView bytes, const OnRead& read) = 0;

  // The target's stream bytes while the connection is being set up: returns how many belong
  // to the setup. Once ready(), the following bytes go to the receive path; once refused(),
  // the connection is not this protocol after all and stays unparsed.
  virtual size_t rx_setup(ByteView bytes) = 0;
  bool ready() const { return ready_; }
  bool refused() const { return refused_; }

  // After ready(): the receive path from `seq` on, and the offload of the connection from
  // there (c2h, handle and queue size are the host's to fill).
  virtual std::unique_ptr<ReadRx> make_rx(BufferIo& io, uint32_t seq,
                                          std::function<void(const CmdResult&)> done,
                                          std::function<void(uint32_t)> resync) const = 0;
  virtual SkConfig offload(uint32_t seq, uint32_t queue_size) const = 0;
  // The smallest read worth registering with the NIC.
  virtual uint32_t ddp_threshold(const DriverParams& p) const = 0;
  // Why the receive path failed, for the report.
  virtual std::string failure(const ReadRx& rx) const = 0;

 protected:
  bool ready_ = false, refused_ = false;  // set by rx_setup
};

// The session of a new connection to target port `port`, or null when no protocol the host
// runs listens there.
using SessionFactory = std::function<std::unique_ptr<UlpSession>(uint16_t port)>;

}  // namespace nic::host
