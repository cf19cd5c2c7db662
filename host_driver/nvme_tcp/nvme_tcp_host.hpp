// The NVMe/TCP host (what drivers/nvme/host/tcp.c is, with the bit of the TCP/IP stack it
// needs): it sees the host's own transmissions (from the trace) and learns the connections and
// read commands from them, allocates every read's buffer, rebuilds each connection's TCP byte
// stream from the frames the NIC hands up, and runs the NVMe/TCP receive path
// (host_driver/nvme_tcp/nvme_rx) that copies and CRC-checks whatever the NIC did not.
//
// The offload goes through the ULP-DDP core (UlpDdp), which calls back through UlpOps: sk_add
// after ICResp (digests, HPDA, the sequence of the next PDU); setup for reads of at least
// driver.io_threshold bytes, only for the read the parse now waits for under its CID;
// teardown when the read completes, which is reported only after the core says the NIC
// released the buffer; resync requests answered through NvmeRx (yes only).
//
// A connection is followed from its handshake or, in a capture that starts after it, from the
// segments that begin with ICReq (transmit) and ICResp (receive). Plain C++.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host_driver/host_access.hpp"
#include "host_driver/ulp_rx/buffer_allocator.hpp"
#include "host_driver/nvme_tcp/driver_state.hpp"
#include "host_driver/ulp_ddp/ulp_ddp.hpp"
#include "hw/abi/nic_abi.hpp"
#include "host_driver/driver_params.hpp"
#include "proto/net.hpp"
#include "proto/nvme_tcp.hpp"

namespace nic::host {

// One read command's outcome, as the replay report lists it.
struct CommandRecord {
  std::string flow;  // host side "IP:port"
  uint16_t cid = 0;
  uint32_t order = 0;
  uint32_t length = 0;
  // Of the final buffer, when the completion hook fills it in: hashing reads is the
  // testbench's job, not the driver's.
  std::string sha256;
  std::string status;  // "ok", "digest_error", ...
  uint32_t placed_bytes = 0, copied_bytes = 0;
  std::string crc;     // "hw", "sw", "none"
  bool ddp = false;    // the buffer was registered with the NIC
  uint64_t submit_ps = 0, complete_ps = 0;
  Bytes data;          // final buffer contents (only when the driver was asked to keep them)
};

struct NvmeTcpCounters {
  uint64_t drop = 0;  // frames the software stack dropped (bad checksum, unknown)
  uint64_t tx_frames = 0;
  uint64_t ddp_skipped_small = 0;  // reads below driver.io_threshold
  // Placements into the buffer of a read whose completion the parse had already passed,
  // before its teardown finished: the read fails (late_placement).
  uint64_t late_placements = 0;
  // Reads issued on a connection that had already lost its framing or been terminated.
  uint64_t failed_dead_connection = 0;
};

class NvmeTcpHost final : public UlpOps {
 public:
  NvmeTcpHost(const DriverParams& cfg, HostAccess& host, UlpDdp& ddp,
              const nvme::PortList& nvme_ports, bool keep_data);
  ~NvmeTcpHost();

  // A frame the host transmits now (host->controller direction of the trace).
  void xmit(ByteView frame);
  // A received frame as the NIC and the offload core hand it up, with its completion `c`.
  void rx(const abi::Cqe& c, ByteView frame);

  // Told about every read as it completes, with its buffer's final bytes (valid during the
  // call only); the host keeps no record of it afterwards. The hook may complete the record
  // (its digest) before passing it on.
  using CompletionHook = std::function<void(CommandRecord&, ByteView buffer)>;
  void set_completion_hook(CompletionHook h) { done_hook_ = std::move(h); }
  const NvmeTcpCounters& counters() const { return ctr_; }
  size_t outstanding() const { return cmds_.size(); }
  RxStats sw_stats() const;
  // "host IP:port: why" for every connection whose NVMe/TCP stream failed.
  std::vector<std::string> failed_connections() const;

 private:
  using Cmd = DriverRead;
  using Conn = DriverConn;
  class ConnIo;

  // UlpOps: the offload core's calls
  DdpIo* io(uint64_t id) override;
  void try_setup(DdpIo& io) override;
  void tag_free(DdpIo& io) override;
  void released(DdpIo& io) override;
  void resync_request(DdpSock& s, uint32_t seq) override;

  void on_tx_pdu(Conn& k, const nvme::Pdu& pdu);
  void new_read(Conn& k, const nvme::ReadCmd& rc);
  void activate(Conn& k, Cmd& c);
  void fail_now(Conn& k, Cmd& c);
  void start_rx(Conn& k, uint32_t first_seq);  // receive stream starts at first_seq (ICResp)
  void rx_deliver(Conn& k, uint32_t seq, ByteView data, const RangeAttrs& attrs);
  void start_nvme(Conn& k);
  void read_done(Conn& k, const CmdResult& r);
  void finalize(Cmd& c);
  Cmd* cmd_of(const std::unordered_map<uint16_t, uint64_t>& by_cid, uint16_t cid);
  void read_buffer(const Cmd* c, uint32_t off, uint8_t* out, size_t n) const;  // none: no-op
  Conn& conn_for(const net::FiveTuple& h2c);
  Conn* find_conn(const net::FiveTuple& h2c);

  const DriverParams cfg_;
  HostAccess& host_;
  UlpDdp& ddp_;
  const nvme::PortList ports_;  // controller ports of NVMe/TCP connections
  const bool keep_data_;
  Bytes read_buf_;  // a finished read's bytes, gathered from its SGL
  CommandRecord rec_;  // the finished read's record, as the completion hook sees it
  RangeAttrs rx_attrs_;  // a received frame's payload attributes
  BufferAllocator alloc_;

  DriverConns conns_;
  DriverReads cmds_;  // id -> live command
  uint64_t next_cmd_id_ = 1;

  CompletionHook done_hook_;
  NvmeTcpCounters ctr_;
};

}  // namespace nic::host
