// The NIC top: the receive pipeline from MAC to DMA, the command processor, and the state they
// share (flow table, per-flow contexts, packet pool). The MAC writes its receive FIFO in its own
// clock domain; everything from the FIFO's read side on runs on the core clock.
//
//   Mac -> HeaderParser -> FlowLookup -> PduParser -> Crc32cPipeline -> PlacementEngine
//                                                                        |  CompletionRing
//   CommandProcessor (MMIO registers, command ring) ---------------------+--> DmaEngine -> PCIe
//   ContextCache (flow contexts in host memory): fetched from FlowLookup, used by PduParser --^
//   DdpCache (registrations, SGLs in host memory): written by commands, used by placement ---^
//   MsixController (MSI-X table, interrupt moderation): messages behind the completions ----^
//   TxEngine (transmit ring, buffer, Tx MAC): descriptors and frames read, head written ----^
//
// Bind `dma.socket` to the PCIe link's DMA target and the link's MMIO initiator to
// `commands.regs`.
#pragma once
#include <systemc>

#include <array>
#include <functional>
#include <string>

#include "hw/common/ClockDomain.hpp"
#include "hw/common/StreamChannel.hpp"
#include "hw/common/packet.hpp"
#include "hw/crc/Crc32cPipeline.hpp"
#include "hw/crc/Crc32cRtl.hpp"
#include "hw/flow/ContextCache.hpp"
#include "hw/flow/FlowLookup.hpp"
#include "hw/flow/flow_table.hpp"
#include "hw/irq/MsixController.hpp"
#include "hw/l2l4/HeaderParser.hpp"
#include "hw/mac/Mac.hpp"
#include "hw/cmd/CommandProcessor.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/top/nic_config.hpp"
#include "hw/parser/PduParser.hpp"
#include "hw/pcie/DmaEngine.hpp"
#include "hw/placement/CompletionRing.hpp"
#include "hw/placement/DdpCache.hpp"
#include "hw/placement/PlacementEngine.hpp"
#include "hw/tx/TxEngine.hpp"

namespace nic::hw {

class Nic : public sc_core::sc_module {
 public:
  Nic(sc_core::sc_module_name name, const NicConfig& cfg, PacketPool& pool, Mac::Source source,
      bool honour_timestamps);

  const NicConfig cfg;
  PacketPool& pool;
  ClockDomain clk;      // the core clock: the pipeline, DMA, commands
  ClockDomain mac_clk;  // the MAC's receive bus and its FIFO's write side
  FlowTable flow_table;
  FlowContexts flows;

  StreamChannel<Beat> mac_to_l3, l3_to_flow, flow_to_parser, parser_to_crc, crc_to_placement;

  Mac mac;
  HeaderParser header_parser;
  FlowLookup flow_lookup;
  PduParser pdu_parser;
  Crc32cPipeline crc;
  std::unique_ptr<Crc32cRtl> crc_rtl;  // crc.impl=rtl: every flow's CRC datapath
  DmaEngine dma;
  std::unique_ptr<ContextCache> ctx_cache;  // ctx_cache.entries > 0: contexts in host memory
  std::unique_ptr<DdpCache> ddp_cache;  // ddp_cache.entries > 0: registrations in host memory
  CompletionRing cq;
  PlacementEngine placement;
  CommandProcessor commands;
  MsixController msix;  // the completion ring's MSI-X interrupt, after its producers
  TxEngine tx;          // the transmit path: frames the driver posts leave through its sink

  // Notable events for waveform triggers: "drop" (a frame the MAC dropped), "resync" (a
  // resync request went out), "framing_lost" (a flow lost PDU framing).
  void set_event_hook(std::function<void(const char*)> hook);
  // Every frame the NIC drops, with the reason as the report names it (mac_fifo_full,
  // oversize, runt; rx_ring_full), before its context goes back to the pool.
  using DropHook = std::function<void(const PacketCtx&, const char* reason)>;
  void set_drop_hook(DropHook hook);
  // Closes time-weighted statistics at the end of a run.
  void finish_stats();
  // Adds the clock, the MAC FIFO, every channel, the DMA queue, the interrupt and the transmit
  // path to a waveform.
  void trace(sc_core::sc_trace_file* tf) const;
  void end_trace() const;  // the trace file closed: stop the upkeep only waveforms need

 private:
  // The beat channels in pipeline order (const for a const Nic).
  template <class Self>
  static auto channels_of(Self& n) {
    return std::array{&n.mac_to_l3, &n.l3_to_flow, &n.flow_to_parser, &n.parser_to_crc,
                      &n.crc_to_placement};
  }
  auto channels() { return channels_of(*this); }
  auto channels() const { return channels_of(*this); }

  std::function<void(const char*)> hook_;
  DropHook drop_hook_;
};

}  // namespace nic::hw
