// What the host driver model keeps per connection and per read command. Plain C++ (no
// SystemC): NvmeTcpDriver holds these, and the memory benchmark (bench/memory) builds the same
// containers.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "host_driver/buffer_allocator.hpp"
#include "host_driver/nvme_rx.hpp"
#include "host_driver/tcp_receiver.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::host {

struct DriverConn;

// One read command the host sent, from its capsule until it is reported.
struct DriverRead {
  uint64_t id = 0;
  DriverConn* conn = nullptr;
  uint16_t cid = 0;
  uint32_t order = 0;
  uint32_t length = 0;
  Buffer buf;
  bool want_ddp = false;  // eligible, waiting for its NIC slot or for the flow's sk_add
  bool ddp = false;       // setup posted
  bool rx_done = false;
  bool teardown_posted = false;
  CmdResult result;
  uint64_t submit_ps = 0;
};
using DriverReads = std::unordered_map<uint64_t, DriverRead>;  // by id

struct DriverConn {
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
  // Offload.
  // Failed: sk_add refused; Removing/Removed: SkDel after the connection died.
  enum class Off : uint8_t { None, Adding, On, Failed, Removing, Removed } off = Off::None;
  uint32_t handle = 0;
  std::deque<uint64_t> waiting_setup;  // read ids waiting for sk_add
  // A CID names one read in the software receive path (`active`); a NIC slot holds one
  // registered buffer (`registered`, by slot). With the driver seeing commands ahead of the
  // wire, a reused CID's next read waits in `queued` until the previous one completed, and
  // a read whose slot another CID holds waits in `slot_waiters`.
  std::unordered_map<uint16_t, uint64_t> active;
  std::unordered_map<uint16_t, uint64_t> registered;
  std::unordered_map<uint16_t, std::deque<uint64_t>> queued;
  std::unordered_map<uint16_t, std::deque<uint64_t>> slot_waiters;
  bool trust_next_crc = true;  // false right after a resync confirmation
};
using DriverConns = std::map<net::FiveTuple, std::unique_ptr<DriverConn>>;  // by h2c tuple

}  // namespace nic::host
