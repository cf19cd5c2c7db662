// What the storage host keeps per connection and per read command, each around what the
// offload core keeps of it (DdpSock, DdpIo); the protocol's own state sits behind UlpSession.
// Plain C++: StorageHost holds these, and the memory benchmark (bench/memory) builds the same
// containers.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "host_driver/ulp_ddp/ddp_io.hpp"
#include "host_driver/ulp_rx/pdu_rx.hpp"
#include "host_driver/ulp_rx/tcp_receiver.hpp"
#include "host_driver/ulp_rx/ulp_session.hpp"
#include "proto/net.hpp"

namespace nic::host {

struct DriverConn;

// One read command the host sent, from its command until it is reported. Its DdpIo tag is the
// protocol's (NVMe/TCP: the CID; iSCSI: the ITT).
struct DriverRead : DdpIo {
  DriverConn* conn = nullptr;
  uint32_t order = 0;
  CmdResult result;
  uint64_t submit_ps = 0;
  // The latency breakdown's (CommandRecord has them).
  uint64_t first_data_ps = 0, last_wire_ps = 0, last_landed_ps = 0, parsed_ps = 0;
};
using DriverReads = std::unordered_map<uint64_t, DriverRead>;  // by id

// What the stack counts per connection, as a socket does, for the frames the NIC hands up:
// all of them with their TCP payload bytes, and those the NIC did not offload because its
// flow table missed, or because the checksums failed (dropped here).
struct ConnRxCounters {
  uint64_t frames = 0, payload_bytes = 0, flow_miss = 0, bad_checksum = 0;
};

struct DriverConn : DdpSock {
  net::FiveTuple h2c;  // host -> target
  std::string name;    // host "IP:port"
  std::unique_ptr<UlpSession> session;  // the protocol's view of the connection
  ConnRxCounters rx_counters;
  // Transmit side: the host's own stream, decoded to learn what it asked for.
  bool tx_anchored = false;
  uint32_t tx_next = 0;
  uint32_t next_order = 0;
  // Receive side: TCP, then the session's setup (ICResp, login), then the read receive path.
  std::unique_ptr<TcpReceiver> rx;
  std::unique_ptr<BufferIo> io;  // the reads' buffers, as the receive path reaches them
  std::unique_ptr<ReadRx> reads;
  // A tag names one read in the software receive path (`active`). With the host seeing
  // commands ahead of the wire, a reused tag's next read waits in `queued` until the previous
  // one completed.
  std::unordered_map<uint32_t, uint64_t> active;
  std::unordered_map<uint32_t, std::deque<uint64_t>> queued;
};
using DriverConns = std::map<net::FiveTuple, std::unique_ptr<DriverConn>>;  // by h2c tuple

}  // namespace nic::host
