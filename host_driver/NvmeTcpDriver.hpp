// The host side of the offload, as Linux nvme-tcp with ulp_ddp does it, running inside the
// simulation: it sees the host's own transmissions (from the trace), registers every read's
// buffer before the command leaves, consumes the NIC's completions (interrupt on each
// completion write), rebuilds the TCP byte stream from kept + placed bytes, and runs the
// NVMe/TCP receive path (host_driver/nvme_rx) that copies and CRC-checks whatever the NIC did
// not. Control goes to the NIC through MMIO doorbells and a command ring in host memory.
//
// A connection is followed from its handshake or, in a capture that starts after it, from
// the segments that begin with ICReq (transmit) and ICResp (receive).
// Per connection: sk_add after ICResp (digests, HPDA, the sequence of the next PDU);
// ddp setup for reads of at least driver.io_threshold bytes whose SGL fits
// placement.max_sg_entries; teardown when the read completes, which is reported only after
// TeardownDone; resync requests answered through NvmeRx (yes only). The NIC keeps one buffer
// per CID slot (abi::ddp_slots of driver.queue_depth), so a read whose CID shares its slot with
// a registered one waits for that registration to end.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "host_driver/buffer_allocator.hpp"
#include "host_driver/driver_state.hpp"
#include "hw/abi/nic_abi.hpp"
#include "host_driver/driver_params.hpp"
#include "hw/placement/placement_params.hpp"
#include "hw/pcie/HostMemory.hpp"
#include "proto/net.hpp"
#include "util/byte_pool.hpp"

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

// The names Linux exposes for the offload (rx_nvmeotcp_*), plus the driver's own.
struct DriverCounters {
  uint64_t sk_add = 0, sk_add_fail = 0, sk_del = 0;
  uint64_t ddp_setup = 0, ddp_setup_fail = 0, ddp_teardown = 0;
  uint64_t drop = 0;             // frames the software stack dropped (bad checksum, unknown)
  uint64_t resync = 0;           // resync requests received
  uint64_t resync_confirmed = 0;
  uint64_t packets = 0, bytes = 0;  // frames/bytes of offloaded flows received
  uint64_t rx_frames = 0;        // every RxPacket completion
  uint64_t tx_frames = 0;
  uint64_t irqs = 0, cqes = 0;
  uint64_t ddp_skipped_small = 0, ddp_skipped_sg_limit = 0, ddp_skipped_no_offload = 0;
  // Reads whose setup waited for another CID's registration in the same NIC slot (Linux CIDs
  // of one tag, or CIDs beyond driver.queue_depth).
  uint64_t ddp_slot_waits = 0;
  uint64_t untrusted_crc = 0;    // crc-ok marks masked (first after a resync)
  // Placements into the buffer of a read whose completion the parse had already passed,
  // before its teardown finished: the read fails (late_placement).
  uint64_t late_placements = 0;
  // Reads issued on a connection that had already lost its framing or been terminated.
  uint64_t failed_dead_connection = 0;
};

class NvmeTcpDriver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<NvmeTcpDriver> mmio_port;  // bind to PcieLink::mmio_target

  // `rings`: the NIC's ring sizes (placement.cq_entries, placement.rx_ring_bytes), which the
  // driver programs at start.
  NvmeTcpDriver(sc_core::sc_module_name name, const DriverParams& cfg,
                const PlacementParams& rings, HostMemory& mem,
                const nvme::PortList& nvme_ports, bool keep_data);
  ~NvmeTcpDriver() override;

  // A frame the host transmits now (host->controller direction of the trace).
  void transmit(ByteView frame);
  // A completion-ring write landed in host memory: raise (or coalesce) the interrupt.
  void completion_landed();
  // Told about every buffer registration the driver posts (sgl set) and every one the NIC
  // refused (sgl null), e.g. for the isolation checker.
  using RegistrationHook =
      std::function<void(uint32_t flow, uint16_t cid, const std::vector<SgEntry>* sgl)>;
  void set_registration_hook(RegistrationHook h) { reg_hook_ = std::move(h); }

  // Told about every read as it completes, with its buffer's final bytes (valid during the
  // call only); the driver keeps no record of it afterwards. The hook may complete the record
  // (its digest) before passing it on.
  using CompletionHook = std::function<void(CommandRecord&, ByteView buffer)>;
  void set_completion_hook(CompletionHook h) { done_hook_ = std::move(h); }
  const DriverCounters& counters() const { return ctr_; }
  size_t outstanding() const { return cmds_.size(); }
  const NvmeRxStats sw_stats() const;
  // "host IP:port: why" for every connection whose NVMe/TCP stream failed.
  std::vector<std::string> failed_connections() const;

  // Host memory layout of the rings (fixed, far from read buffers).
  static constexpr uint64_t kCmdRingBase = 0x10000000;
  static constexpr uint32_t kCmdRingEntries = 1024;
  static constexpr uint64_t kCqBase = 0x20000000;
  static constexpr uint64_t kRxRingBase = 0x40000000;
  static constexpr uint64_t kSglBase = 0x80000000;

 private:
  using Cmd = DriverRead;
  using Conn = DriverConn;
  class ConnIo;
  enum class Pending : uint8_t { SkAdd, SkDel, Setup, Teardown, Resync };
  struct PendingCmd {
    Pending kind;
    Conn* conn;
    uint64_t cmd_id;
    uint32_t entries;
  };

  void run();
  void init_nic();
  void on_tx_frame(const Bytes& f);  // one of the host's own frames
  void handle_completions();
  void on_rx_packet(const abi::Cqe& c);
  void on_cmd_done(const abi::Cqe& c);
  void on_teardown_done(const abi::Cqe& c);
  void on_tx_pdu(Conn& k, const nvme::Pdu& pdu);
  void new_read(Conn& k, const nvme::ReadCmd& rc);
  void activate(Conn& k, Cmd& c);
  void fail_now(Conn& k, Cmd& c);
  void maybe_remove(Conn& k);
  void try_setup(Cmd& c);
  void start_rx(Conn& k, uint32_t first_seq);  // receive stream starts at first_seq (ICResp)
  void rx_deliver(Conn& k, uint32_t seq, ByteView data, const RangeAttrs& attrs);
  void start_nvme(Conn& k);
  void read_done(Conn& k, const CmdResult& r);
  void unregister(Conn& k, Cmd& c);
  void finalize(Cmd& c);
  void post_setup(Cmd& c);
  void post(const abi::Cmd& c, Pending kind, Conn* k, uint64_t cmd_id);
  void flush_backlog();
  bool mmio(tlm::tlm_command cmd, uint64_t off, uint8_t* buf);
  void mmio_write32(uint64_t off, uint32_t v);
  uint32_t mmio_read32(uint64_t off);
  Cmd* cmd_of(const std::unordered_map<uint16_t, uint64_t>& by_cid, uint16_t cid);
  Cmd* registered_cmd(const Conn& k, uint16_t cid);  // the read registered for exactly `cid`
  void read_buffer(const Cmd* c, uint32_t off, uint8_t* out, size_t n) const;  // none: no-op
  uint16_t slot_of(uint16_t cid) const { return uint16_t(cid & slot_mask_); }
  // Where a command's SGL goes when it does not fit in the setup command itself.
  uint64_t sgl_slot_bytes() const { return uint64_t(nic_max_sg_) * abi::kSgEntrySize; }
  uint64_t sgl_slot(uint64_t cmd_id) const { return kSglBase + (cmd_id % 65536) * sgl_slot_bytes(); }
  Conn& conn_for(const net::FiveTuple& h2c);
  Conn* find_conn(const net::FiveTuple& h2c);
  Conn* conn_of_handle(uint32_t handle) const;

  const DriverParams cfg_;
  const PlacementParams rings_;
  HostMemory& mem_;
  const nvme::PortList ports_;  // controller ports of NVMe/TCP connections
  uint32_t nic_max_sg_ = 0;  // limits the NIC reported at start
  const uint32_t slot_mask_;  // NIC DDP slots per flow, minus one
  const bool keep_data_;
  Bytes read_buf_;  // a finished read's bytes, gathered from its SGL
  CommandRecord rec_;  // the finished read's record, as the completion hook sees it
  Bytes rx_kept_, rx_frame_;  // a received frame as the ring held it, and as rebuilt
  RangeAttrs rx_attrs_;       // that frame's payload attributes
  BufferAllocator alloc_;
  sc_core::sc_event irq_ev_, tx_ev_;
  // irq_ev_ | tx_ev_ and the MMIO payload, built once: per use, each would allocate.
  sc_core::sc_event_or_list wake_;
  tlm::tlm_generic_payload mmio_gp_;
  bool irq_pending_ = false;
  std::deque<Bytes> tx_q_;      // the host's frames, to be looked at
  BytePool tx_spare_;        // buffers of frames looked at, for reuse

  DriverConns conns_;
  std::unordered_map<uint32_t, Conn*> by_handle_;  // the NIC's flow handle -> connection
  DriverReads cmds_;  // id -> live command
  uint64_t next_cmd_id_ = 1;
  uint32_t next_handle_ = 1;

  // Command ring: entries posted (free-running) and the tags awaiting CmdDone.
  uint32_t cmd_posted_ = 0, cmd_entries_busy_ = 0;
  uint64_t next_tag_ = 1;
  std::unordered_map<uint64_t, PendingCmd> pending_;
  std::deque<std::pair<abi::Cmd, PendingCmd>> backlog_;  // waiting for command-ring space
  bool doorbell_due_ = false;
  // Completion ring and receive ring consumption.
  uint32_t cq_consumed_ = 0;
  uint32_t rx_freed_ = 0;

  RegistrationHook reg_hook_;
  CompletionHook done_hook_;
  DriverCounters ctr_;
  NvmeRxStats retired_sw_;  // stats of connections that went away
};

}  // namespace nic::host
