// Per-connection state of the offload engine, one per offloaded flow. Each block owns the
// part of it that its hardware would hold (tracker: parser, engine: CRC, DDP table:
// placement); they share one set indexed by the slot the flow lookup returned. A context
// exists only while its slot's flow is offloaded (sk_add to sk_del), so a flow table sized for
// many flows costs one pointer per unused slot.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <variant>
#include <vector>

#include "hw/common/write_port.hpp"
#include "hw/offload/crc_engine.hpp"
#include "hw/offload/ddp_table.hpp"
#include "hw/offload/iscsi/iscsi_framer.hpp"
#include "hw/offload/nvme_tcp/nvme_tcp_framer.hpp"
#include "hw/offload/ooo_params.hpp"

namespace nic::hw {

// What sk_add says about a connection besides its 5-tuple and handle.
struct FlowStart {
  abi::Ulp ulp = abi::Ulp::NvmeTcp;
  uint32_t seq = 0;  // TCP sequence of the next PDU start
  bool hdgst = false, ddgst = false;
  uint8_t hpda = 0;           // NVMe/TCP
  uint32_t max_data_seg = 0;  // iSCSI: the initiator's MaxRecvDataSegmentLength (0: 8192)
  uint32_t queue_size = 0;
};

// What sizes every flow's context, from the NIC's configuration: the framer's header check
// and recovery, the digest engine's open PDUs, the DDP table's SGL limit.
struct FlowLimits {
  bool header_digest_check = true;
  OooParams ooo;
  uint32_t max_open_pdus = 4;
  uint32_t max_sg_entries = 128;
};

// A flow's framer, for the protocol sk_add named: one dispatch per packet, and below it the
// protocol's framer with direct calls.
class FlowFramer {
 public:
  void start(uint32_t seq, const TrackerConfig& c) { f_.emplace<PduTracker>().start(seq, c); }
  void start(uint32_t seq, const IscsiFramerConfig& c) { f_.emplace<IscsiFramer>().start(seq, c); }
  void plan(uint32_t seq, ByteView payload, PacketPlan& out) {
    std::visit([&](auto& f) { f.plan(seq, payload, out); }, f_);
  }
  bool confirm(uint32_t seq) {
    return std::visit([&](auto& f) { return f.confirm(seq); }, f_);
  }
  TrackerState state() const {
    return std::visit([](const auto& f) { return f.state(); }, f_);
  }
  const uint8_t& state_byte() const {
    return std::visit([](const auto& f) -> const uint8_t& { return f.state_byte(); }, f_);
  }
  const TrackerStats& stats() const {
    return std::visit([](const auto& f) -> const TrackerStats& { return f.stats(); }, f_);
  }

 private:
  std::variant<PduTracker, IscsiFramer> f_;
};

// What the blocks count per offloaded flow besides its tracker and digest engine: the
// parser's bypasses of it, the bytes placement placed for it and the frames of it dropped for
// a full receive ring (with their TCP payload bytes).
struct FlowCounters {
  uint64_t out_of_seq = 0, searching = 0;
  uint64_t bytes_placed = 0;
  uint64_t drop_rx_ring_full = 0, drop_rx_ring_full_payload = 0;
  uint64_t ctx_misses = 0;  // fetches of the flow's context from host memory (ctx_cache on)
  uint64_t ddp_misses = 0;  // ... of its registrations and SGL lines (ddp_cache on)
  FlowCounters& operator+=(const FlowCounters& o);
};

struct FlowContext {
  uint32_t handle = 0;  // the driver's name for the flow, echoed in completions
  abi::Ulp ulp = abi::Ulp::NvmeTcp;
  FlowFramer tracker;
  CrcEngine crc;
  DdpTable ddp;
  FlowCounters counters;

  // sk_add: every part starts afresh.
  void start(const FlowLimits& lim, const FlowStart& s);
};

// What flows' trackers, digest engines and blocks counted, summed (or of one flow).
struct FlowFigures {
  TrackerStats tracker;
  uint64_t crc_verified_ok = 0, crc_digest_error = 0, crc_hole_filled = 0, crc_abandoned = 0;
  FlowCounters blocks;
  static FlowFigures of(const FlowContext& f);
  void add(const FlowContext& f) { *this += of(f); }
  FlowFigures& operator+=(const FlowFigures& o);
};

class FlowContexts {
 public:
  explicit FlowContexts(uint32_t slots) : flows_(slots) {}

  static constexpr int32_t kNone = -1;

  // The context of the flow offloaded in `slot`, or null (no flow, or a miss).
  FlowContext* get(int32_t slot) const {
    return slot >= 0 && size_t(slot) < flows_.size() ? flows_[size_t(slot)].get() : nullptr;
  }
  // The slot of the flow the driver calls `handle`, or kNone.
  int32_t slot_of(uint32_t handle) const {
    const auto it = by_handle_.find(handle);
    return it == by_handle_.end() ? kNone : it->second;
  }
  // sk_add: a fresh context for `slot`, named `handle` (not in use). sk_del: close(slot) frees
  // it.
  FlowContext& open(int32_t slot, uint32_t handle) {
    auto& p = flows_[size_t(slot)];
    p = std::make_unique<FlowContext>();
    p->handle = handle;
    p->crc.set_datapath(dp_);
    by_handle_[handle] = slot;
    return *p;
  }
  void close(int32_t slot) {
    closed_[flows_[size_t(slot)]->handle].add(*flows_[size_t(slot)]);
    by_handle_.erase(flows_[size_t(slot)]->handle);
    flows_[size_t(slot)].reset();
  }
  // The write port of the memory that holds every flow's DDP table: the placement engine and
  // the command processor share it.
  WritePort& ddp_write_port() { return ddp_port_; }
  // Every flow's CRC engine runs its register updates through `dp` (crc.impl=rtl); set before
  // any flow is offloaded.
  void set_crc_datapath(CrcDatapath* dp) { dp_ = dp; }

  // Calls f(const FlowContext&) for every offloaded flow, in slot order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& p : flows_)
      if (p) f(*p);
  }
  // The figures of every flow offloaded so far, the open ones and those sk_del closed, by
  // the driver's handle (never reused).
  std::map<uint32_t, FlowFigures> per_flow() const {
    std::map<uint32_t, FlowFigures> m = closed_;
    for_each([&](const FlowContext& f) { m[f.handle].add(f); });
    return m;
  }
  // ... summed.
  FlowFigures figures() const {
    FlowFigures t;
    for (const auto& [handle, f] : per_flow()) t += f;
    return t;
  }

 private:
  std::vector<std::unique_ptr<FlowContext>> flows_;
  std::unordered_map<uint32_t, int32_t> by_handle_;  // the driver's names
  CrcDatapath* dp_ = nullptr;
  WritePort ddp_port_;
  // Of the flows closed so far: a few hundred bytes per connection the run offloaded.
  std::map<uint32_t, FlowFigures> closed_;
};

}  // namespace nic::hw
