#include "hw/top/nic_config.hpp"

#include <stdexcept>
#include <string>

#include "hw/abi/nic_abi.hpp"

namespace nic {

void validate(const NicConfig& c) {
  NicConfig::sections(c, [](const char* section, const auto& part) { check_ranges(section, part); });
  // What one parameter's range cannot say.
  auto need = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("config: ") + what);
  };
  need((c.core.datapath_bytes & (c.core.datapath_bytes - 1)) == 0,
       "core.datapath_bytes must be a power of two");
  const MacParams& m = c.mac;
  need((m.segment_bytes & (m.segment_bytes - 1)) == 0 && m.bus_bytes % m.segment_bytes == 0,
       "mac.segment_bytes must be a power of two dividing mac.bus_bytes");
  need(m.rx_fifo_bytes / m.segment_bytes >= (m.max_frame_bytes + m.segment_bytes - 1) / m.segment_bytes,
       "mac.rx_fifo_bytes must hold at least one maximum frame (mac.max_frame_bytes) in whole "
       "mac.segment_bytes words");
  need(m.bus_bytes * 8 * m.clock_mhz / 1000 >= m.line_rate_gbps,
       "mac.bus_bytes x mac.clock_mhz must carry mac.line_rate_gbps");
  need(c.flow.entries % c.flow.ways == 0, "flow.entries must be a multiple of flow.ways");
  need(c.ctx_cache.entries % c.ctx_cache.ways == 0,
       "ctx_cache.entries must be a multiple of ctx_cache.ways");
  // Context i sits at abi::kCtxBackingBase + i * transfer_bytes, below 4 GiB.
  need(uint64_t(c.flow.entries) * c.ctx_cache.transfer_bytes() <= abi::kCtxBackingBytes,
       "flow.entries * ctx_cache.context_bytes (in whole lines) must fit the context backing "
       "store (256 MiB)");
  const DdpCacheParams& d = c.ddp_cache;
  need(d.entries % d.ways == 0 && d.sgl_entries % d.ways == 0,
       "ddp_cache.entries and ddp_cache.sgl_entries must be multiples of ddp_cache.ways");
  need(!d.sgl_enabled() || d.enabled(),
       "ddp_cache.sgl_entries needs ddp_cache.entries: SGLs are reached through registrations");
  need(d.sgl_line_bytes % abi::kSgEntrySize == 0,
       "ddp_cache.sgl_line_bytes must be a multiple of the 16-byte SG entry");
  // Registration (f, s) and its SGL sit at index f * kDdpSlotsMax + s of their halves of the
  // DDP backing store.
  const uint64_t regs = uint64_t(c.flow.entries) * abi::kDdpSlotsMax;
  need(regs * d.transfer_bytes() <= abi::kDdpBackingBytes / 2 &&
           regs * d.sgl_lines(c.placement.max_sg_entries) * d.sgl_line_bytes <=
               abi::kDdpBackingBytes / 2,
       "flow.entries x 65536 DDP slots x (ddp_cache.context_bytes, or the longest SGL in "
       "ddp_cache.sgl_line_bytes lines) must fit half the DDP backing store (128 TiB)");
  const PcieParams& p = c.pcie;
  const auto pow2 = [](uint32_t v) { return v && (v & (v - 1)) == 0; };
  need(pow2(p.lanes) && pow2(p.max_payload) && pow2(p.max_read_request) && pow2(p.user_bus_bytes),
       "pcie.lanes, pcie.max_payload, pcie.max_read_request and pcie.user_bus_bytes must be "
       "powers of two");
  need(p.read_completion_boundary == 64 || p.read_completion_boundary == 128,
       "pcie.read_completion_boundary must be 64 or 128");
  need(p.completion_size() % p.read_completion_boundary == 0 && p.completion_size() <= p.max_payload,
       "pcie.completion_bytes must be a multiple of pcie.read_completion_boundary, at most pcie.max_payload");
  need(p.tags <= p.max_tags(), "pcie.tags above 256 needs pcie.ten_bit_tags (up to 768)");
  // One TLP must fit the receiver's buffer, or it would wait for credits forever.
  need(!p.pd_credits || p.pd_credits * 16 >= p.max_payload,
       "pcie.pd_credits must hold one TLP of pcie.max_payload (16 bytes a credit)");
  need(!p.cpld_credits || p.cpld_credits * 16 >= p.completion_size(),
       "pcie.cpld_credits must hold one completion (16 bytes a credit)");
  need(c.tx.buffer_bytes >= c.tx.max_frame_bytes,
       "tx.buffer_bytes must hold at least one maximum frame (tx.max_frame_bytes)");
  need(c.dma.rx_ram_bytes >= c.mac.max_frame_bytes,
       "dma.rx_ram_bytes must hold at least one maximum frame (mac.max_frame_bytes)");
  if (c.crc.impl == "rtl" && (c.core.datapath_bytes != NICRTL_CRC_BYTES ||
                              c.crc.latency_cycles != NICRTL_CRC_LATENCY))
    throw std::invalid_argument(
        "config: crc.impl=rtl: the RTL is built for " + std::to_string(NICRTL_CRC_BYTES) + " B / " +
        std::to_string(NICRTL_CRC_LATENCY) + " cycles (core.datapath_bytes, crc.latency_cycles); " +
        "set CRC_RTL_BYTES/CRC_RTL_LATENCY in hw/crc/rtl/crc32c_pipe.cmake to rebuild it");
}

hw::FlowLimits flow_limits(const NicConfig& c) {
  hw::FlowLimits l;
  l.header_digest_check = c.parser.header_digest_check;
  l.ooo = c.ooo;
  l.max_open_pdus = c.crc.max_open_pdus;
  l.max_sg_entries = c.placement.max_sg_entries;
  return l;
}

}  // namespace nic
