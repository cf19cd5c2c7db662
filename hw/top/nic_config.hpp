// Every parameter of the NIC an architect sizes: each block's own parameter struct, declared
// and documented beside the block, composed here in report order. Plain C++. The platform
// around the NIC (host memory, driver) adds its own sections (tb/config/sim_config.hpp).
#pragma once
#include <cstdint>

#include "hw/common/core_params.hpp"
#include "hw/crc/crc_params.hpp"
#include "hw/flow/ctx_cache_params.hpp"
#include "hw/flow/flow_params.hpp"
#include "hw/irq/irq_params.hpp"
#include "hw/mac/mac_params.hpp"
#include "hw/offload/flow_context.hpp"
#include "hw/placement/ddp_cache_params.hpp"
#include "hw/offload/ooo_params.hpp"
#include "hw/parser/parser_params.hpp"
#include "hw/pcie/dma_params.hpp"
#include "hw/pcie/pcie_params.hpp"
#include "hw/placement/placement_params.hpp"
#include "hw/tx/tx_params.hpp"
#include "util/params.hpp"

namespace nic {

// Depths of the channels the top wires between blocks, in beats; config section "fifo".
struct FifoParams {
  uint32_t mac_to_l3 = 8;
  uint32_t l3_to_flow = 8;
  uint32_t flow_to_parser = 8;
  uint32_t parser_to_crc = 8;
  uint32_t crc_to_placement = 16;

  template <class Self, class D>
  static void describe(Self& p, D&& d) {
    using param::in, param::K;
    d("mac_to_l3", p.mac_to_l3, "beats", "channel MAC -> L2-L4 parser", in(1, 64 * K));
    d("l3_to_flow", p.l3_to_flow, "beats", "channel L2-L4 parser -> flow table", in(1, 64 * K));
    d("flow_to_parser", p.flow_to_parser, "beats", "channel flow table -> PDU parser",
      in(1, 64 * K));
    d("parser_to_crc", p.parser_to_crc, "beats", "channel PDU parser -> CRC32C", in(1, 64 * K));
    d("crc_to_placement", p.crc_to_placement, "beats", "channel CRC32C -> placement",
      in(1, 64 * K));
  }
};

struct NicConfig {
  CoreParams core;
  MacParams mac;
  FifoParams fifo;
  FlowParams flow;
  CtxCacheParams ctx_cache;
  ParserParams parser;
  OooParams ooo;
  CrcParams crc;
  PlacementParams placement;
  DdpCacheParams ddp_cache;
  DmaParams dma;
  PcieParams pcie;
  IrqParams irq;
  TxParams tx;

  // Calls s(section, part) for every part, in report order.
  template <class Self, class S>
  static void sections(Self& c, S&& s) {
    s("core", c.core);
    s("mac", c.mac);
    s("fifo", c.fifo);
    s("flow", c.flow);
    s("ctx_cache", c.ctx_cache);
    s("parser", c.parser);
    s("ooo", c.ooo);
    s("crc", c.crc);
    s("placement", c.placement);
    s("ddp_cache", c.ddp_cache);
    s("dma", c.dma);
    s("pcie", c.pcie);
    s("irq", c.irq);
    s("tx", c.tx);
  }
};

// Throws std::invalid_argument, naming the parameter, when one is outside its range or
// parameters disagree (a FIFO smaller than a frame, odd widths...).
void validate(const NicConfig& cfg);

// What sk_add sizes each flow's context with, from the blocks' parameters.
hw::FlowLimits flow_limits(const NicConfig& cfg);

}  // namespace nic
