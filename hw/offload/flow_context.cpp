#include "hw/offload/flow_context.hpp"

namespace nic::hw {

void FlowContext::start(const FlowLimits& lim, const FlowStart& s) {
  TrackerConfig tc;
  tc.cp.hdgst = s.hdgst;
  tc.cp.ddgst = s.ddgst;
  tc.cp.hpda = s.hpda;
  tc.header_digest_check = lim.header_digest_check;
  tc.search = lim.ooo.search;
  tc.search_delay_bytes = lim.ooo.search_delay_bytes;
  tc.max_candidates = lim.ooo.max_candidates;
  tc.recover_headers = lim.ooo.recover_headers;
  tracker.start(s.seq, tc);
  crc.start(s.ddgst, lim.max_open_pdus);
  ddp.reset(NvmeTcpProtocol::slot_rule(s.queue_size), lim.max_sg_entries);
}

void FlowFigures::add(const FlowContext& f) {
  tracker += f.tracker.stats();
  crc_verified_ok += f.crc.pdus_verified_ok();
  crc_digest_error += f.crc.pdus_digest_error();
  crc_hole_filled += f.crc.pdus_hole_filled();
  crc_abandoned += f.crc.pdus_abandoned();
}

}  // namespace nic::hw
