// The NIC's register file and command engine. The driver configures its host rings through
// MMIO registers (abi::kReg*; the interrupt block's and the transmit path's registers are
// forwarded to them) and posts commands in the command ring; on its doorbell the
// processor fetches the new entries by DMA read, executes them in order, one per cycle, and
// answers each with a CmdDone completion carrying its status and tag.
//
// Ring indices in registers are free-running 32-bit counts (not slot numbers): kRegCmdProducer
// = command entries posted, kRegCqConsumer = completions consumed, kRegRxConsumer = receive-
// ring bytes freed. Ring sizes of the command and completion rings must be powers of two.
// Rings are (re)started empty when their base or size register is written, which the driver
// does only while they are idle.
//
// Commands:
//   SkAdd        inserts the controller->host 5-tuple in the flow table and starts the slot's
//                tracker, CRC engine and DDP table. Full: the table set is full; Invalid: the
//                handle or tuple is already offloaded, or bad IP version / queue size.
//   SkDel        removes the flow. Busy while any of its tags is registered or tearing down.
//   DdpSetup     fetches the SGL (sg_count entries of 16 bytes) by DMA read and registers it;
//                a one-entry SGL may come inline in the command (kSetupInlineSgl): no read.
//                TooManySg above placement.max_sg_entries (checked before fetching).
//   DdpTeardown  stops placement for the I/O tag at once and answers CmdDone; TeardownDone
//                (same command tag) follows once every placement write queued for it landed.
//   Resync       the driver confirms a resync request: the flow's tracker resumes framing
//                (Invalid when no live candidate was asked about at that sequence).
//
// Timing: a doorbell starts a fetch of up to placement.cmd_fetch_entries entries (the NIC's
// command buffer) at the next edge, one fetch in flight at a time; fetched
// commands are decoded into a window of placement.cmd_window, where each DdpSetup starts its
// SGL read at once (reads overlap); the oldest command executes when it is whole, its SGL has
// arrived and a completion slot is free, one per cycle, strictly in order. A command takes
// its cost in cycles before it acts and answers (docs/costs.md): placement.sk_add_cycles,
// sk_del_cycles, setup_cycles + setup_cycles_per_sg per SG entry, plus cqe_write_cycles for
// its CmdDone; the count starts when it is the oldest and its SGL is in, and no earlier than
// cqe_write_cycles after a TeardownDone was posted. A setup or teardown then writes its DDP
// table slot through the table's write port, waiting while placement holds it. With
// registrations in host memory (ddp_cache) a setup writes its registration into the cache and
// its SG entries to the backing store, a teardown writes the slot's state and its end drops
// the registration's lines (hw/placement/DdpCache).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <deque>
#include <vector>

#include "hw/common/ClockDomain.hpp"
#include "hw/flow/ContextCache.hpp"
#include "hw/flow/flow_table.hpp"
#include "hw/irq/MsixController.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/abi/nic_abi.hpp"
#include "hw/pcie/DmaEngine.hpp"
#include "hw/placement/CompletionRing.hpp"
#include "hw/placement/PlacementEngine.hpp"
#include "hw/placement/placement_params.hpp"
#include "hw/tx/TxEngine.hpp"

namespace nic::hw {

struct CommandStats {
  uint64_t commands = 0, failed = 0;  // failed: CmdDone status other than Ok
  uint64_t teardowns_done = 0;
  uint64_t teardowns_waited = 0;      // placement writes for the I/O tag were still in flight
  uint64_t dma_errors = 0;            // command-ring or SGL reads the host failed
  uint64_t stall_cq_full = 0;         // cycles a ready completion waited for a slot
  uint64_t busy_cycles = 0;           // cycles from a command's turn to the end of its cost
  uint64_t stall_ddp_port = 0;        // cycles a table write waited for placement's writes
};

class CommandProcessor : public sc_core::sc_module, public ClockDomain::Clocked {
 public:

  tlm_utils::simple_target_socket<CommandProcessor> regs;  // bind PcieLink::mmio_init here

  // `flow_entries`: the flow table's capacity, a register the driver reads; `limits`: what
  // sk_add sizes a flow's context with.
  CommandProcessor(sc_core::sc_module_name name, ClockDomain& clk, const PlacementParams& cfg,
                   uint32_t flow_entries, const FlowLimits& limits, DmaEngine& dma, CompletionRing& cq, PlacementEngine& placement,
                   FlowTable& table, FlowContexts& flows);

  const CommandStats& stats() const { return stats_; }
  // sk_del drops the flow's cached context. Set before the run when contexts are cached.
  void set_context_cache(ContextCache* c) { ctx_cache_ = c; }
  // Setups and teardowns write registrations through this cache. Set before the run when
  // registrations are cached.
  void set_ddp_cache(DdpCache* c) { ddp_cache_ = c; }
  // The interrupt block answers for its registers (MsixController::owns). Set before the run;
  // without it they are plain storage.
  void set_msix(MsixController* m) { msix_ = m; }
  // The transmit path answers for its registers (TxEngine::owns) likewise.
  void set_tx(TxEngine* t) { tx_ = t; }
  uint32_t reg(uint64_t off) const { return regs_[off / 4]; }

 private:
  // A decoded command waiting to execute. DdpSetup fetches its SGL as soon as it is decoded,
  // so the SGL reads of consecutive setups overlap; commands still execute in order.
  struct Pending {
    abi::Cmd cmd;
    bool sgl_wanted = false;   // a DdpSetup whose SGL must arrive before it executes
    bool sgl_asked = false;
    bool sgl_arrived = false;
    bool sgl_ok = false;
    bool started = false;  // its cost is being counted, until cycle `due`
    uint64_t due = 0;
    std::vector<SgEntry> sgl;
  };
  struct Teardown {
    int32_t slot;
    uint32_t io_tag;
    uint32_t handle;
    uint64_t tag;
  };

  void tick() override;
  void fetch();
  void finish_teardowns();
  void decode();   // fetched entries into the window
  void prefetch_sgls();
  bool execute();  // retires the oldest command; true when it wants the next cycle
  uint32_t cost(const Pending& p) const;  // cycles the command takes, its CmdDone included
  abi::CmdStatus sk_add(const abi::Cmd& c);
  abi::CmdStatus sk_del(const abi::Cmd& c);
  abi::CmdStatus ddp_setup(const Pending& p);
  abi::CmdStatus ddp_teardown(const abi::Cmd& c);
  void post_done(const abi::Cmd& c, abi::CmdStatus s);

  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  void reg_written(uint64_t off);
  uint64_t reg64(uint64_t off) const { return regs_[off / 4] | uint64_t(regs_[off / 4 + 1]) << 32; }

  ClockDomain& clk_;
  const PlacementParams cfg_;
  const FlowLimits limits_;
  DmaEngine& dma_;
  CompletionRing& cq_;
  PlacementEngine& placement_;
  FlowTable& table_;
  FlowContexts& flows_;
  ContextCache* ctx_cache_ = nullptr;
  DdpCache* ddp_cache_ = nullptr;
  MsixController* msix_ = nullptr;
  TxEngine* tx_ = nullptr;

  uint32_t regs_[abi::kRegSpace / 4] = {};

  // Command ring.
  uint64_t cmd_base_ = 0;
  uint32_t cmd_entries_ = 0;  // 0: not configured
  uint32_t cmd_fetched_ = 0;  // free-running count of entries read into cmdbuf_
  bool fetching_ = false;
  Bytes cmdbuf_;              // fetched entries not yet executed, from cmd_head_
  size_t cmd_head_ = 0;

  // Decoded commands, oldest first (placement.cmd_window of them at most).
  std::deque<Pending> window_;
  uint32_t sgl_reads_ = 0;  // SGL fetches in flight
  uint32_t sgl_unasked_ = 0;  // window entries whose SGL read has not been issued

  std::vector<Teardown> teardowns_;  // waiting for their placement writes to land
  uint64_t free_at_ = 0;  // the next command's cost starts no earlier (after a TeardownDone)
  CommandStats stats_;
};

}  // namespace nic::hw
