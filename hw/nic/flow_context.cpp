#include "hw/nic/flow_context.hpp"

namespace nic::hw {

void FlowContext::start(const NicConfig& cfg, const FlowStart& s) {
  TrackerConfig tc;
  tc.cp.hdgst = s.hdgst;
  tc.cp.ddgst = s.ddgst;
  tc.cp.hpda = s.hpda;
  tc.header_digest_check = cfg.parser.header_digest_check;
  tc.search = cfg.ooo.search;
  tc.search_delay_bytes = cfg.ooo.search_delay_bytes;
  tc.max_candidates = cfg.ooo.max_candidates;
  tc.recover_headers = cfg.ooo.recover_headers;
  tracker.start(s.seq, tc);
  crc.start(s.ddgst, cfg.crc.max_open_pdus);
  ddp.reset(s.queue_size, cfg.placement.max_sg_entries);
}

void FlowFigures::add(const FlowContext& f) {
  tracker += f.tracker.stats();
  crc_verified_ok += f.crc.pdus_verified_ok();
  crc_digest_error += f.crc.pdus_digest_error();
  crc_hole_filled += f.crc.pdus_hole_filled();
  crc_abandoned += f.crc.pdus_abandoned();
}

}  // namespace nic::hw
