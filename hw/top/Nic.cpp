#include "hw/top/Nic.hpp"

namespace nic::hw {

Nic::Nic(sc_core::sc_module_name name, const NicConfig& config, PacketPool& packet_pool,
         Mac::Source source, bool honour_timestamps)
    : sc_module(name),
      cfg(config),
      pool(packet_pool),
      clk("clk", cfg.core.clock_mhz),
      mac_clk("mac_clk", cfg.mac.clock_mhz),
      flow_table(cfg.flow.entries, cfg.flow.ways),
      flows(cfg.flow.entries),
      mac_to_l3("mac_to_l3", clk, cfg.fifo.mac_to_l3),
      l3_to_flow("l3_to_flow", clk, cfg.fifo.l3_to_flow),
      flow_to_parser("flow_to_parser", clk, cfg.fifo.flow_to_parser),
      parser_to_crc("parser_to_crc", clk, cfg.fifo.parser_to_crc),
      crc_to_placement("crc_to_placement", clk, cfg.fifo.crc_to_placement),
      mac("mac", mac_clk, clk, mac_to_l3, cfg.mac, cfg.core.datapath_bytes, honour_timestamps,
          std::move(source),
          [this](PacketCtx* p, const char* reason) {  // the MAC counts drops by reason itself
            if (hook_) hook_("drop");
            if (drop_hook_) drop_hook_(*p, reason);
            pool.put(p);
          }),
      header_parser("header_parser", clk, mac_to_l3, l3_to_flow),
      flow_lookup("flow_lookup", clk, l3_to_flow, flow_to_parser, flow_table, cfg.flow.lookup_cycles),
      pdu_parser("pdu_parser", clk, flow_to_parser, parser_to_crc, flows,
                 ParserParams::kLatencyCycles,
                 cfg.parser.cycles_per_extra_header, cfg.ooo.search_bytes_per_cycle),
      crc("crc", clk, parser_to_crc, crc_to_placement, flows, cfg.crc.latency_cycles,
          cfg.crc.cycles_per_extra_segment, cfg.crc.combine_cycles),
      dma("dma", clk, cfg.dma),
      cq(dma),
      placement("placement", clk, crc_to_placement, dma, cq, flows, pool, cfg.placement),
      commands("commands", clk, cfg.placement, cfg.flow.entries, flow_limits(cfg), dma, cq,
               placement, flow_table, flows),
      msix("msix", clk, dma, cq, cfg.irq),
      tx("tx", clk, mac_clk, cfg.tx, cfg.mac, dma) {
  commands.set_msix(&msix);
  commands.set_tx(&tx);
  if (cfg.crc.impl == "rtl") {
    crc_rtl = std::make_unique<Crc32cRtl>("crc_rtl", clk);  // ticks before the stage
    flows.set_crc_datapath(crc_rtl.get());
  }
  if (cfg.ctx_cache.enabled()) {
    ctx_cache = std::make_unique<ContextCache>(clk, dma, flows, cfg.ctx_cache);
    flow_lookup.set_context_cache(ctx_cache.get());
    pdu_parser.set_context_cache(ctx_cache.get());
    commands.set_context_cache(ctx_cache.get());
  }
  if (cfg.ddp_cache.enabled()) {
    ddp_cache = std::make_unique<DdpCache>(clk, dma, flows, cfg.ddp_cache, cfg.placement.max_sg_entries);
    placement.set_ddp_cache(ddp_cache.get());
    commands.set_ddp_cache(ddp_cache.get());
  }
}

void Nic::set_drop_hook(DropHook hook) {
  drop_hook_ = hook;
  placement.set_drop_hook(std::move(hook));
}

void Nic::set_event_hook(std::function<void(const char*)> hook) {
  hook_ = hook;
  pdu_parser.set_event_hook(std::move(hook));
}

void Nic::trace(sc_core::sc_trace_file* tf) const {
  clk.trace(tf);
  mac_clk.trace(tf);
  mac.trace(tf);
  pdu_parser.trace(tf);
  if (crc_rtl) crc_rtl->trace(tf);
  for (const auto* c : channels()) c->trace(tf);
  dma.trace(tf);
  msix.trace(tf);
  tx.trace(tf);
}

void Nic::end_trace() const {
  for (const auto* c : channels()) c->end_trace();
}

void Nic::finish_stats() {
  mac.finish_stats();
  for (auto* c : channels()) c->finish_stats();
}

}  // namespace nic::hw
