// NIC <-> host PCIe link. Each direction is one serial wire: TLPs cost (payload + header +
// framing) / bandwidth and leave in FIFO order, then fly for `latency`. The receiver of TLPs
// answers with Ack and UpdateFC DLLPs on the other wire. Bandwidth comes from the generation
// and lane count (PcieParams::gbps).
//
// Upstream (device -> host): DMA writes, DMA read requests, MMIO read completions.
// Downstream (host -> device): DMA read completions, MMIO writes, MMIO read requests.
// One FIFO wire per direction gives PCIe's ordering for free: reads and completions never
// pass posted writes.
//
// Transaction classes. A DMA write is posted: it needs posted credits (a header credit per
// TLP, a data credit per 16 bytes) from the root port and no tag; its TLPs wait on the wire
// for credits, which come back credit_update_ns after each TLP lands. A DMA read needs a tag
// from request to its last completion, and non-posted credits for its request TLPs (cut at
// MRRS); the host answers with completions that end on read-completion-boundary multiples and
// carry at most the completer's completion size, needing completion credits from the device.
// Credits 0 are infinite. Credits are taken eagerly when a transfer is queued: every credit
// return is known then, since landing times are.
//
// DMA (dma_target, AT base protocol, nb_transport_fw): a write's BEGIN_REQ is accepted at once
// (END_REQ as TLM_UPDATED), with DmaTimes::sent_ps stamped with when its last TLP leaves the
// device; a read's only while fewer than `tags` reads are in flight (accepted, and response not
// yet finished), otherwise END_REQ follows on nb_transport_bw when a tag frees. A write reaches
// host memory as one access when its last TLP lands; a read accesses host memory when its last
// request TLP lands. BEGIN_RESP follows on nb_transport_bw (writes: at landing plus memory's
// annotated delay; reads: when the last completion arrived); the initiator answers
// TLM_COMPLETED, or TLM_ACCEPTED and a later END_RESP. The initiator's payload is passed to
// host memory as is (extensions included), so it carries memory's response status back. A
// payload carrying a hw::DmaTimes extension gets its times stamped. mem_init's target must not
// wait(): it is called from a method.
//
// MMIO (mmio_target, b_transport from an SC_THREAD): writes are posted (the caller returns at
// once; the write reaches mmio_init when it lands); reads wait for request, register access
// and completion. The device's own posted and non-posted credits are taken as infinite.
//
// What reaches the device (BEGIN_RESP, posted writes, END_REQ after a stall) is delivered by
// the device's clock domain once deliver_into() names it, otherwise by this module's methods;
// either way at the item's time, before any edge after it.
#pragma once
#include <cstdint>
#include <deque>
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
    uint64_t dllps = 0;
    uint64_t payload_bytes = 0;
    uint64_t wire_bytes = 0;     // payload + TLP overhead + DLLPs
    sc_core::sc_time busy;       // serialisation time; utilisation = busy / elapsed
    sc_core::sc_time credit_wait;  // summed time TLPs were ready but waited for credits
  };
  struct Stats {
    DirStats up;    // device -> host
    DirStats down;  // host -> device
    uint64_t dma_writes = 0, dma_reads = 0, mmio_writes = 0, mmio_reads = 0;
    uint64_t completions = 0;  // completion TLPs of DMA reads
    uint32_t max_tags_used = 0;
    uint64_t tag_stalls = 0;       // read BEGIN_REQs that had to wait for a tag
    sc_core::sc_time tag_stall_time;  // summed wait of those requests
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
  uint32_t tags_in_use() const { return reads_inflight_; }
  double gbps() const { return gbps_; }

  // TLPs needed for [addr, addr + len) with at most `max` payload bytes each, none crossing a
  // 4 KiB boundary; a zero-length access still takes one TLP.
  static uint64_t tlp_count(uint64_t addr, uint64_t len, uint64_t max);
  // Completion TLPs for a read of [addr, addr + len): each ends on a multiple of `rcb` (but
  // the last) and carries at most `size` (a multiple of rcb) bytes; a failed or empty read
  // gets one.
  static uint64_t completion_count(uint64_t addr, uint64_t len, uint64_t size, uint64_t rcb);

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
    uint64_t bytes = UINT64_MAX, slots = 0;
    sc_core::sc_time t;
  };
  // A receiver's buffer for one transaction class, as the transmitter counts its credits.
  // Returns are queued in time order (landings only grow); they are applied when needed.
  struct Credits {
    uint32_t hdr_limit = 0, data_limit = 0;  // 0: infinite
    uint64_t hdr_used = 0, data_used = 0;
    struct Return {
      sc_core::sc_time at;
      uint32_t hdr, data;
    };
    std::deque<Return> returns;
    bool infinite() const { return hdr_limit == 0 && data_limit == 0; }
    // The earliest time from `t` on when `hdr` and `data` credits are free; takes them.
    sc_core::sc_time take(sc_core::sc_time t, uint32_t hdr, uint32_t data);
  };
  struct Wire {
    sc_core::sc_time free;  // when it finishes its queued TLPs
    DirStats* stats;
    WireTime wt;
    uint64_t acks = 0, updates = 0;  // TLPs received whose Ack / UpdateFC is not yet sent
  };
  enum class Cut : uint8_t { Request, Completion };  // how a transfer is cut into TLPs

  const PcieParams p_;
  const double gbps_;
  const sc_core::sc_time latency_, credit_update_, dllp_time_;
  const uint64_t slot_bytes_;     // user-interface granularity: a beat, or half with straddling
  const double slot_ps_;          // 0: the interface does not limit

  Wire up_, down_;
  Credits posted_credits_, nonposted_credits_, completion_credits_;
  Credits unlimited_;  // MMIO: the device's buffers, and the root port's for its completions
  uint32_t reads_inflight_ = 0;  // tags held
  tlm::tlm_generic_payload* stalled_ = nullptr;  // a read's BEGIN_REQ waiting for a tag
  sc_core::sc_time stalled_since_;
  tlm::tlm_generic_payload* resp_open_ = nullptr;  // BEGIN_RESP sent, END_RESP awaited
  sc_core::sc_time resp_free_;  // END_RESP time of the last response: no BEGIN_RESP before

  // Landing times only grow.
  std::deque<Landing> landing_;
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
  BusyHook busy_hook_;

  tlm::tlm_sync_enum nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay);
  void mmio_b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  unsigned int dma_dbg(tlm::tlm_generic_payload& gp) { return mem_init->transport_dbg(gp); }
  unsigned int mmio_dbg(tlm::tlm_generic_payload& gp) { return mmio_init->transport_dbg(gp); }

  void accept(tlm::tlm_generic_payload& gp, const sc_core::sc_time& start);
  void finish_response(tlm::tlm_generic_payload& gp, const sc_core::sc_time& now);
  void accept_stalled(const sc_core::sc_time& now);
  uint64_t response_due_ps() const;  // kNoneDue if none can begin
  uint64_t posted_due_ps() const;    // kNoneDue if no posted write is in flight
  void deliver_response(const sc_core::sc_time& now);
  void deliver_posted();
  // Queues the TLPs of [addr, addr + len) on wire `w` no earlier than `start`, cut as `cut`
  // says into pieces of at most `max`, each taking credits of `cr`; `payload` false: the TLPs
  // carry no data (read requests, a failed read's completion). Returns the landing time of
  // the last TLP; `sent` gets when it left.
  sc_core::sc_time send(Wire& w, Credits& cr, const sc_core::sc_time& start, uint64_t addr,
                        uint64_t len, uint64_t max, Cut cut, bool payload,
                        sc_core::sc_time* sent = nullptr);
  // Serialises `bytes` on `w` from `start` on, taking at least `slots` beat slots of the user
  // interface; returns when they have left.
  sc_core::sc_time occupy(Wire& w, const sc_core::sc_time& start, uint64_t bytes, uint64_t slots);
  // User-interface slots a TLP with `payload` bytes takes.
  uint64_t slots_of(uint64_t payload) const {
    return (p_.tlp_header_bytes + payload + slot_bytes_ - 1) / slot_bytes_;
  }
  // The Acks and UpdateFCs owed for `tlps` TLPs that arrived over `w` at `at`, sent back on
  // the other wire.
  void answer(Wire& w, const sc_core::sc_time& at, uint64_t tlps);
  void push_response(const sc_core::sc_time& at, tlm::tlm_generic_payload& gp);

  void land_method();     // DMA requests reach host memory
  void resp_method();     // BEGIN_RESP in time order, one open at a time
  void accept_method();   // a stalled BEGIN_REQ gets its slot
  void posted_method();   // posted MMIO writes reach the NIC's registers
};

}  // namespace nic
