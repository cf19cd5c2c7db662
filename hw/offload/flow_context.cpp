#include "hw/offload/flow_context.hpp"

#include <utility>

namespace nic::hw {

namespace {

// The protocol-neutral part of a framer's configuration.
template <class Proto>
FramerConfig<Proto> framer_config(const FlowLimits& lim, const typename Proto::Conn& cp) {
  FramerConfig<Proto> c;
  c.cp = cp;
  c.header_digest_check = lim.header_digest_check;
  c.search = lim.ooo.search;
  c.search_delay_bytes = lim.ooo.search_delay_bytes;
  c.max_candidates = lim.ooo.max_candidates;
  c.recover_headers = lim.ooo.recover_headers;
  return c;
}

}  // namespace

void FlowContext::start(const FlowLimits& lim, const FlowStart& s) {
  ulp = s.ulp;
  abi::TagSlotRule rule;
  if (s.ulp == abi::Ulp::Iscsi) {
    iscsi::ConnParams cp;
    cp.hdgst = s.hdgst;
    cp.ddgst = s.ddgst;
    cp.max_data_segment = s.max_data_seg ? s.max_data_seg : iscsi::kLoginMaxDataSegment;
    tracker.start(s.seq, framer_config<IscsiProtocol>(lim, cp));
    rule = IscsiProtocol::slot_rule(s.queue_size);
  } else {
    nvme::ConnParams cp;
    cp.hdgst = s.hdgst;
    cp.ddgst = s.ddgst;
    cp.hpda = s.hpda;
    tracker.start(s.seq, framer_config<NvmeTcpProtocol>(lim, cp));
    rule = NvmeTcpProtocol::slot_rule(s.queue_size);
  }
  crc.start(s.ddgst, lim.max_open_pdus);
  ddp.reset(rule, lim.max_sg_entries);
}

FlowCounters& FlowCounters::operator+=(const FlowCounters& o) {
  for (auto [mine, theirs] : {std::pair{&out_of_seq, o.out_of_seq}, {&searching, o.searching},
                              {&bytes_placed, o.bytes_placed}, {&drop_rx_ring_full, o.drop_rx_ring_full},
                              {&drop_rx_ring_full_payload, o.drop_rx_ring_full_payload},
                              {&ctx_misses, o.ctx_misses}, {&ddp_misses, o.ddp_misses}})
    *mine += theirs;
  return *this;
}

FlowFigures FlowFigures::of(const FlowContext& f) {
  FlowFigures t;
  t.tracker = f.tracker.stats();
  t.crc_verified_ok = f.crc.pdus_verified_ok();
  t.crc_digest_error = f.crc.pdus_digest_error();
  t.crc_hole_filled = f.crc.pdus_hole_filled();
  t.crc_abandoned = f.crc.pdus_abandoned();
  t.blocks = f.counters;
  return t;
}

FlowFigures& FlowFigures::operator+=(const FlowFigures& o) {
  tracker += o.tracker;
  blocks += o.blocks;
  for (auto [mine, theirs] : {std::pair{&crc_verified_ok, o.crc_verified_ok}, {&crc_digest_error, o.crc_digest_error},
                              {&crc_hole_filled, o.crc_hole_filled}, {&crc_abandoned, o.crc_abandoned}})
    *mine += theirs;
  return *this;
}

}  // namespace nic::hw
