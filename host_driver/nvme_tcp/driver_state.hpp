// What the NVMe/TCP host keeps per connection and per read command, each around what the
// offload core keeps of it (DdpSock, DdpIo). Plain C++: NvmeTcpHost holds these, and the
// memory benchmark (bench/memory) builds the same containers.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "host_driver/nvme_tcp/nvme_rx.hpp"
#include "host_driver/ulp_rx/tcp_receiver.hpp"
#include "host_driver/ulp_ddp/ddp_io.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::host {

struct DriverConn;

// One read command the host sent, from its capsule until it is reported. Its DdpIo tag is
// the CID.
struct DriverRead : DdpIo {
  DriverConn* conn = nullptr;
  uint32_t order = 0;
  CmdResult result;
  uint64_t submit_ps = 0;
};
using DriverReads = std::unordered_map<uint64_t, DriverRead>;  // by id

struct DriverConn : DdpSock {
  net::FiveTuple h2c;  // host -> controller
  std::string name;    // host "IP:port"
  // Transmit side: the driver's own PDUs, decoded to learn what it asked for.
  bool tx_anchored = false;
  uint32_t tx_next = 0;
  nvme::StreamDecoder tx_dec;
  uint8_t hpda = 0;
  uint32_t next_order = 0;
  // Receive side.
  std::unique_ptr<TcpReceiver> rx;
  Bytes icresp;
  uint32_t icresp_seq = 0;
  nvme::ConnParams cp;
  std::unique_ptr<BufferIo> io;  // the reads' buffers, as NvmeRx reaches them
  std::unique_ptr<NvmeRx> nvme;
  // A CID names one read in the software receive path (`active`). With the driver seeing
  // commands ahead of the wire, a reused CID's next read waits in `queued` until the previous
  // one completed.
  std::unordered_map<uint16_t, uint64_t> active;
  std::unordered_map<uint16_t, std::deque<uint64_t>> queued;
};
using DriverConns = std::map<net::FiveTuple, std::unique_ptr<DriverConn>>;  // by h2c tuple

}  // namespace nic::host
