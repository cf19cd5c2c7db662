// NIC <-> host PCIe link, approximately timed. Each direction is one serial wire: TLPs cost
// (payload + tlp_overhead) / bandwidth and leave in FIFO order, then fly for `latency`.
//
// Upstream (device -> host): DMA writes, DMA read requests, MMIO read completions.
// Downstream (host -> device): DMA read completions, MMIO writes, MMIO read requests.
// One FIFO wire per direction gives PCIe's ordering for free: reads and completions never
// pass posted writes.
//
// DMA (dma_target, AT base protocol, nb_transport_fw): BEGIN_REQ is accepted (END_REQ as
// TLM_UPDATED) only while fewer than max_outstanding transactions are in flight (accepted, and
// response not yet finished); otherwise END_REQ follows on nb_transport_bw when a slot frees.
// A write reaches host memory as one access when its last TLP lands; a read accesses host
// memory when its last request TLP lands. BEGIN_RESP follows on nb_transport_bw (writes: at
// landing plus memory's annotated delay; reads: when the last completion arrived); the
// initiator answers TLM_COMPLETED, or TLM_ACCEPTED and a later END_RESP. The initiator's
// payload is passed to host memory as is (extensions included), so it carries memory's
// response status back. A payload carrying a hw::DmaTimes extension gets its landing and the end
// of memory's access stamped (the latency breakdown). mem_init's target must not wait(): it is
// called from a method.
//
// MMIO (mmio_target, b_transport from an SC_THREAD): writes are posted (the caller returns at
// once; the write reaches mmio_init when it lands); reads wait for request, register access
// and completion.
//
// What reaches the device (BEGIN_RESP, posted writes, END_REQ after a stall) is delivered by
// the device's clock domain once deliver_into() names it, otherwise by this module's methods;
// either way at the item's time, before any edge after it.
#pragma once
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "hw/common/ClockDomain.hpp"
#include "hw/pcie/pcie_params.hpp"
#include "util/bytes.hpp"

namespace nic {

class PcieLink : public sc_core::sc_module, public hw::ClockDomain::Inbound {
 public:
  struct DirStats {
    uint64_t tlps = 0;
    uint64_t payload_bytes = 0;
    uint64_t wire_bytes = 0;  // payload + overhead
    sc_core::sc_time busy;    // serialisation time; utilisation = busy / elapsed
  };
  struct Stats {
    DirStats up;    // device -> host
    DirStats down;  // host -> device
    uint64_t dma_writes = 0, dma_reads = 0, mmio_writes = 0, mmio_reads = 0;
    uint32_t max_outstanding_seen = 0;
    uint64_t stalled_requests = 0;  // BEGIN_REQs that had to wait for a slot
    sc_core::sc_time stall_time;    // summed wait of those requests
  };

  tlm_utils::simple_target_socket<PcieLink> dma_target;   // from the NIC's DMA (AT)
  tlm_utils::simple_initiator_socket<PcieLink> mem_init;  // to host memory
  tlm_utils::simple_target_socket<PcieLink> mmio_target;  // from the host driver
  tlm_utils::simple_initiator_socket<PcieLink> mmio_init; // to the NIC's registers

  PcieLink(sc_core::sc_module_name name, const PcieParams& params = {});

  // The device's clock domain. From then on the domain lands what the link delivers to the
  // device (BEGIN_RESP, posted register writes, and the END_REQ of a request that waited for
  // a slot) just before the edge that sees it, instead of a process of the link at its time:
  // the device sees it at the same edge, and the domain need not stop running ahead for it.
  // Without a domain (a device that is not clocked) the link's own processes deliver.
  void deliver_into(hw::ClockDomain& clk);
  uint64_t next_due_ps() const override;
  void land_next() override;

  const PcieParams& params() const { return p_; }
  const Stats& stats() const { return stats_; }
  // Sees every stretch a wire is busy serialising TLPs, [from_ps, to_ps), up (device to host)
  // or down, as it is queued: the busy time of the stats, placed in time.
  using BusyHook = std::function<void(bool up, uint64_t from_ps, uint64_t to_ps)>;
  void set_busy_hook(BusyHook hook) { busy_hook_ = std::move(hook); }
  uint32_t outstanding() const { return inflight_; }

  // TLPs needed for [addr, addr + len) with at most `max` payload bytes each, none crossing a
  // 4 KiB boundary; a zero-length access still takes one TLP.
  static uint64_t tlp_count(uint64_t addr, uint64_t len, uint64_t max);

 private:
  struct Landing {  // a DMA request arriving at the host
    sc_core::sc_time at;
    tlm::tlm_generic_payload* gp;
  };
  struct Response {  // a BEGIN_RESP due at `at`; seq keeps equal times in FIFO order
    sc_core::sc_time at;
    uint64_t seq;
    tlm::tlm_generic_payload* gp;
    bool operator>(const Response& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct PostedWrite {  // an MMIO write in flight; the caller's payload is gone by then
    sc_core::sc_time at;
    uint64_t addr;
    Bytes data, byte_enable;
    unsigned streaming_width;
  };
  // A wire's last transfer size and its serialisation time: consecutive transfers are mostly
  // the same size, and building an sc_time from a double is not cheap.
  struct WireTime {
    uint64_t bytes = UINT64_MAX;
    sc_core::sc_time t;
  };

  const PcieParams p_;
  const sc_core::sc_time latency_;

  sc_core::sc_time up_free_, down_free_;  // when each wire finishes its queued TLPs
  uint32_t inflight_ = 0;
  tlm::tlm_generic_payload* stalled_ = nullptr;  // BEGIN_REQ waiting for a slot
  sc_core::sc_time stalled_since_;
  tlm::tlm_generic_payload* resp_open_ = nullptr;  // BEGIN_RESP sent, END_RESP awaited
  sc_core::sc_time resp_free_;  // END_RESP time of the last response: no BEGIN_RESP before

  // Landing times only grow, and at most max_outstanding requests are in flight: a fixed ring.
  std::vector<Landing> landing_;
  size_t landing_head_ = 0, landing_count_ = 0;
  std::priority_queue<Response, std::vector<Response>, std::greater<Response>> responses_;
  uint64_t resp_seq_ = 0;
  // Posted writes in flight, a ring whose slots keep their buffers: a write allocates nothing
  // once the ring has grown to the most writes ever in flight.
  std::vector<PostedWrite> posted_;
  size_t posted_head_ = 0, posted_count_ = 0;
  tlm::tlm_generic_payload posted_gp_;

  sc_core::sc_event land_ev_, resp_ev_, accept_ev_, posted_ev_;
  hw::ClockDomain* clk_ = nullptr;  // deliver_into()
  Stats stats_;
  WireTime up_time_, down_time_;
  BusyHook busy_hook_;

  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  void mmio_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int dma_dbg(tlm::tlm_generic_payload& gp) { return mem_init->transport_dbg(gp); }
  unsigned int mmio_dbg(tlm::tlm_generic_payload& gp) { return mmio_init->transport_dbg(gp); }

  void accept(tlm::tlm_generic_payload& gp, const sc_core::sc_time& start);
  void finish_response(const sc_core::sc_time& now);
  void accept_stalled(const sc_core::sc_time& now);
  uint64_t response_due_ps() const;  // kNoneDue if none can begin
  uint64_t posted_due_ps() const;    // kNoneDue if no posted write is in flight
  void deliver_response(const sc_core::sc_time& now);
  void deliver_posted();
  // Queues `bytes` in `tlps` TLPs on a wire no earlier than `start`; returns the landing time.
  sc_core::sc_time send(sc_core::sc_time& wire_free, DirStats& d, WireTime& wt,
                        const sc_core::sc_time& start, uint64_t tlps, uint64_t payload);
  sc_core::sc_time send_up(const sc_core::sc_time& start, uint64_t tlps, uint64_t payload) {
    return send(up_free_, stats_.up, up_time_, start, tlps, payload);
  }
  sc_core::sc_time send_down(const sc_core::sc_time& start, uint64_t tlps, uint64_t payload) {
    return send(down_free_, stats_.down, down_time_, start, tlps, payload);
  }
  void push_response(const sc_core::sc_time& at, tlm::tlm_generic_payload& gp);

  void land_method();     // DMA requests reach host memory
  void resp_method();     // BEGIN_RESP in time order, one open at a time
  void accept_method();   // a stalled BEGIN_REQ gets its slot
  void posted_method();   // posted MMIO writes reach the NIC's registers
};

}  // namespace nic
