// The host of storage protocols over TCP (what drivers/nvme/host/tcp.c or an iSCSI initiator
// is, with the bit of the TCP/IP stack it needs), protocol-neutral: it sees the host's own
// transmissions (from the trace) and learns the connections and read commands from them
// through each connection's UlpSession, allocates every read's buffer, rebuilds each
// connection's TCP byte stream from the frames the NIC hands up, lets the session set the
// connection up (NVMe/TCP ICResp, the iSCSI login), and then runs the protocol's receive path
// (host_driver/ulp_rx/pdu_rx) that copies and CRC-checks whatever the NIC did not.
//
// The offload goes through the ULP-DDP core (UlpDdp), which calls back through UlpOps: sk_add
// once the session is set up (digests and the sequence of the next PDU, from the session);
// setup for reads of at least driver.io_threshold bytes, only for the read the parse now
// waits for under its tag; teardown when the read completes, which is reported only after the
// core says the NIC released the buffer; resync requests answered by the receive path (yes
// only).
//
// A connection is followed from its handshake or, in a capture that starts after it, from
// the segments that begin each stream as the session recognises them. Plain C++.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host_driver/driver_params.hpp"
#include "host_driver/host_access.hpp"
#include "host_driver/ulp_ddp/ulp_ddp.hpp"
#include "host_driver/ulp_rx/buffer_allocator.hpp"
#include "host_driver/ulp_rx/driver_state.hpp"
#include "hw/abi/nic_abi.hpp"
#include "hw/common/latency_breakdown.hpp"
#include "proto/net.hpp"

namespace nic::host {

// Where a received frame was on its way to the host (ps), 0 when not known.
struct RxTimes {
  uint64_t wire_start_ps = 0, wire_end_ps = 0;  // first and last bit on the wire
  uint64_t landed_ps = 0;                       // its completion entry landed in host memory
};

// A read's latency, command to completion, in consecutive parts (docs/latency.md).
enum ReadStage : uint8_t {
  kReadTarget,    // the command sent to the first bit of the read's first data on the wire
  kReadTransfer,  // ... to the last bit of the frame that completed the read's parse
  kReadNic,       // ... to that frame's completion entry landing in host memory
  kReadDriver,    // ... to the parse reaching the read's completion
  kReadTeardown,  // ... to the read reported (after TeardownDone when its buffer was registered)
  kReadStages
};
inline constexpr std::array<const char*, kReadStages> kReadStageNames{
    "target", "transfer", "nic", "driver", "teardown"};
using ReadStamps = hw::StageStamps<kReadStages>;

// One read command's outcome, as the replay report lists it.
struct CommandRecord {
  std::string flow;  // host side "IP:port"
  const char* protocol = "";  // the session's: "nvme-tcp", "iscsi"
  uint32_t tag = 0;  // NVMe/TCP: the CID; iSCSI: the ITT
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
  // For the latency breakdown, 0 where unknown (no frame times, or the read ended without a
  // frame completing it): the first bit on the wire of the first frame that brought the read
  // data; of the frame whose arrival completed its parse, the last bit on the wire and its
  // completion entry landing in host memory; when the parse reached the read's completion.
  uint64_t first_data_ps = 0, last_wire_ps = 0, last_landed_ps = 0, parsed_ps = 0;
  Bytes data;          // final buffer contents (only when the driver was asked to keep them)

  // The read's parts, each boundary no earlier than the one before it; false when the record
  // lacks the times.
  bool stamps(ReadStamps& out) const;
};

struct HostCounters {
  uint64_t drop = 0;  // frames the software stack dropped (bad checksum, unknown)
  uint64_t tx_frames = 0;
  uint64_t ddp_skipped_small = 0;  // reads below driver.io_threshold
  // Placements into the buffer of a read whose completion the parse had already passed,
  // before its teardown finished: the read fails (late_placement).
  uint64_t late_placements = 0;
  // Reads issued on a connection that had already lost its framing or been terminated.
  uint64_t failed_dead_connection = 0;
};

// One connection's counters, for the report's per-flow table.
struct ConnFigures {
  std::string name;    // host "IP:port", as CommandRecord::flow
  std::string target;  // target "IP:port"
  const char* protocol = "";
  uint32_t handle = 0;  // the NIC's flow handle of its offload; 0: never offloaded
  ConnRxCounters rx;
  RxStats sw;
};

class StorageHost final : public UlpOps {
 public:
  StorageHost(const DriverParams& cfg, HostAccess& host, UlpDdp& ddp, SessionFactory sessions,
              bool keep_data);
  ~StorageHost();

  // A frame the host transmits now (host->target direction of the trace).
  void xmit(ByteView frame);
  // A received frame as the NIC and the offload core hand it up, with its completion `c`.
  // `t`: where the frame was on its way, for the reads' latency breakdown.
  void rx(const abi::Cqe& c, ByteView frame, const RxTimes& t = {});

  // Told about every read as it completes, with its buffer's final bytes (valid during the
  // call only); the host keeps no record of it afterwards. The hook may complete the record
  // (its digest) before passing it on.
  using CompletionHook = std::function<void(CommandRecord&, ByteView buffer)>;
  void set_completion_hook(CompletionHook h) { done_hook_ = std::move(h); }
  // The host's TCP transmit side (the closed loop's, tb/closed_loop) answers what arrives:
  // every segment of a followed connection whose checksums hold, after its payload went into
  // the receive queue, with rcv_nxt before and after it (equal when the stream has not
  // started yet, `started` false).
  struct SegmentSeen {
    const net::ParsedFrame& pf;
    uint32_t rcv_nxt_before, rcv_nxt;
    bool started;
  };
  using SegmentHook = std::function<void(const SegmentSeen&)>;
  void set_segment_hook(SegmentHook h) { segment_hook_ = std::move(h); }
  // A connection's session is set up (ICResp, login): reads may go. With its h2c tuple.
  using ReadyHook = std::function<void(const net::FiveTuple& h2c)>;
  void set_ready_hook(ReadyHook h) { ready_hook_ = std::move(h); }
  // What the connection's receive queue holds: rcv_nxt and SACK blocks (up to `max`), as
  // an ACK tells them; false when the connection or its stream is not known.
  bool rx_view(const net::FiveTuple& h2c, size_t max, uint32_t& rcv_nxt,
               std::vector<std::pair<uint32_t, uint32_t>>& sack) const;
  const HostCounters& counters() const { return ctr_; }
  size_t outstanding() const { return cmds_.size(); }
  RxStats sw_stats() const;
  // Every connection the host followed, in the order of its host -> target tuple.
  std::vector<ConnFigures> conn_figures() const;
  // "host IP:port: why" for every connection whose stream failed.
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

  void rx_frame(const abi::Cqe& c, ByteView frame);
  void tx_stream(Conn& k, ByteView bytes);
  void new_read(Conn& k, uint32_t tag, uint32_t length);
  void activate(Conn& k, Cmd& c);
  void fail_now(Conn& k, Cmd& c);
  void start_rx(Conn& k, uint32_t first_seq);  // the target's stream starts at first_seq
  void rx_deliver(Conn& k, uint32_t seq, ByteView data, const RangeAttrs& attrs);
  void start_reads(Conn& k, uint32_t seq);  // the session is set up: reads from `seq` on
  void read_done(Conn& k, const CmdResult& r);
  void finalize(Cmd& c);
  Cmd* cmd_of(const std::unordered_map<uint32_t, uint64_t>& by_tag, uint32_t tag);
  // A frame brought `c` data: the first one's time starts its transfer.
  void got_data(Cmd& c) const;
  void read_buffer(const Cmd* c, uint32_t off, uint8_t* out, size_t n) const;  // none: no-op
  Conn* conn_for(const net::FiveTuple& h2c);  // null: no protocol on that port
  Conn* find_conn(const net::FiveTuple& h2c);

  const DriverParams cfg_;
  HostAccess& host_;
  UlpDdp& ddp_;
  const SessionFactory sessions_;
  const bool keep_data_;
  Bytes read_buf_;  // a finished read's bytes, gathered from its SGL
  CommandRecord rec_;  // the finished read's record, as the completion hook sees it
  RangeAttrs rx_attrs_;  // a received frame's payload attributes
  RxTimes rx_times_;     // ... and its times
  BufferAllocator alloc_;

  DriverConns conns_;
  DriverReads cmds_;  // id -> live command
  uint64_t next_cmd_id_ = 1;

  CompletionHook done_hook_;
  SegmentHook segment_hook_;
  ReadyHook ready_hook_;
  HostCounters ctr_;
};

}  // namespace nic::host
