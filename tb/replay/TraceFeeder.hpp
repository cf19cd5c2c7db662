// Plays a pcap into the simulation. Frames a storage target sent (TCP source port one of the
// target ports: NVMe/TCP and iSCSI) and every other frame go to the NIC's MAC; frames the host
// sent (TCP destination port one of them) are the host's own transmissions and go to the driver model, `tx_lead`
// ahead of their timestamp: the driver must register a read's buffer before the command
// leaves, so it sees each command that much earlier than the wire does.
//
// Timestamps are taken relative to the first record. With honour_timestamps off, the MAC
// sends controller frames back to back and the host's frames are retimed onto that compressed
// timeline (each keeps its place between the controller frames around it).
#pragma once
#include <systemc>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/packet.hpp"
#include "proto/nvme_tcp.hpp"
#include "util/byte_pool.hpp"
#include "tb/pcap/pcap_io.hpp"
#include "tb/replay/frame_source.hpp"

namespace nic::tb {

struct FeederParams {
  net::PortList target_ports;  // NVMe/TCP and iSCSI
  bool honour_timestamps = true;
  // Rewrite every record's IPv4, TCP and UDP checksums before anything sees it (captures
  // taken on a host with checksum offload, or on loopback, carry unfinished ones).
  bool fix_checksums = false;
  // The MAC's largest frame: a TCP frame for the NIC above it is counted as oversize and,
  // with split_gso, cut as GSO would before the MAC sees it (captures above TSO/GRO, or on
  // loopback, hold frames no wire carried). gso_mss > 0 also cuts frames whose payload exceeds
  // it; pieces carry at most gso_mss (default: what fills a 1500-byte IP packet) and never
  // more than fits max_frame_bytes.
  uint32_t max_frame_bytes = 9216;
  bool split_gso = false;
  uint32_t gso_mss = 0;
  double tx_lead_ns = 10000.0;
  // The trace's first record plays at this time, after the driver has brought the NIC up.
  double start_ns = 20000.0;
  double line_rate_gbps = 100.0;      // to retime host frames when not honouring timestamps
  uint32_t wire_overhead_bytes = 24;
};

struct FeederStats {
  uint64_t records = 0, to_nic = 0, to_driver = 0, bytes_to_nic = 0;
  uint64_t wire_bytes_to_nic = 0;  // by the records' wire lengths
  uint64_t cut_records = 0;        // records shorter than their frame (snap length)
  uint64_t cut_not_tcp = 0;        // those sent to the NIC that lost part of their TCP/IP
  uint64_t checksums_fixed = 0;    // records whose checksums were rewritten
  // TCP frames from an NVMe port longer than the MAC's max frame, and the longest of them
  uint64_t oversize_frames = 0, oversize_longest = 0;
  uint64_t gso_frames_split = 0, gso_pieces = 0;  // frames cut by split_gso, pieces made
  uint64_t first_ts_ns = 0, last_ts_ns = 0;
};

class TraceFeeder : public sc_core::sc_module, public FrameSource {
 public:
  using PacketSink = std::function<void(const pcap::Packet& frame)>;

  // `on_record` (if set) sees every record as it is read, before it goes anywhere (one pass
  // over the trace serves the simulation and whoever else needs it, e.g. the reference decode).
  TraceFeeder(sc_core::sc_module_name name, pcap::Reader& reader, hw::PacketPool& pool,
              const FeederParams& params, PacketSink to_driver, PacketSink on_record);

  // The MAC's frame source: the next frame for the NIC, nullptr at the end of the trace.
  hw::PacketCtx* next_rx(uint64_t& ts_ps) override;
  // The clock domain whose ticks call next_rx: reading ahead for it happens at its time.
  void serve(const hw::ClockDomain& clk) { clk_ = &clk; }
  bool finished() const { return eof_ && rx_.empty() && tx_.empty(); }
  const FeederStats& stats() const { return st_; }
  // Why the trace ended early (a truncated or corrupt record), empty after a clean end. The
  // records before it are played out.
  const std::string& error() const { return error_; }

 private:
  struct Tx {
    uint64_t due_ps;
    pcap::Packet pkt;
  };
  bool read_one();  // reads the next record into rx_ or tx_; false at the end
  // Counts an oversize frame; with split_gso cuts the frame into pieces_ and returns how many
  // (0: it goes to the MAC whole).
  size_t split(Bytes& frame);
  // Queues a frame for the MAC at `ts_ps` (trace time), `wire_len` bytes long on the wire.
  void to_mac(Bytes& frame, uint64_t ts_ps, uint64_t wire_len);
  uint64_t wire_ps(uint64_t len) const {
    return uint64_t(double(len + p_.wire_overhead_bytes) * 8000.0 / p_.line_rate_gbps);
  }
  // Reads ahead so every record due within the lead window is known, hands due host frames
  // to the driver, and sleeps until the next thing to do.
  void pump();
  uint64_t lead_ps() const { return uint64_t(p_.tx_lead_ns * 1000.0); }
  uint64_t start_ps() const { return uint64_t(p_.start_ns * 1000.0); }

  pcap::Reader& reader_;
  hw::PacketPool& pool_;
  const FeederParams p_;
  PacketSink to_driver_, on_record_;
  std::string error_;
  std::deque<hw::PacketCtx*> rx_;
  std::deque<uint64_t> rx_ts_;
  std::deque<Tx> tx_;
  sc_core::sc_event pump_ev_;
  const hw::ClockDomain* clk_ = nullptr;
  bool eof_ = false;
  bool have_first_ = false;
  uint64_t first_ns_ = 0;
  uint64_t virtual_ps_ = start_ps();  // back-to-back timeline of controller frames
  uint64_t read_up_to_ps_ = 0;  // timeline position of the last record read
  pcap::Packet scratch_;
  std::vector<Bytes> pieces_;  // of the last frame split, buffers reused
  uint64_t last_rx_ps_ = start_ps();  // trace time of the last frame queued for the MAC
  BytePool spare_;  // buffers of host frames handed to the driver, for reuse
  FeederStats st_;
};

}  // namespace nic::tb
