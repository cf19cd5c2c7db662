// Test helper: a generator config with every impairment on (loss with re-segmented
// retransmissions, reordering, duplicates, bad TCP checksums, corrupted data digests, planted
// header lookalikes) over three flows with both digests, DATAO splits and SUCCESS.
#pragma once
#include "tb/gen/config.hpp"

namespace nic::testing {

inline gen::GenConfig impaired_config() {
  gen::GenConfig c;
  c.seed = 7;
  c.flows = 3;
  c.hdgst = c.ddgst = true;
  c.queue_depth = 8;
  c.io_size = gen::parse_io_size("4K,16K,64K");
  c.ios = 60;
  c.max_pdu_data = 8192;
  c.success_flag = 0.3;
  c.tcp_timestamps = true;
  c.imp.loss = 0.04;
  c.imp.reseg_retransmit = true;
  c.imp.reorder = 0.04;
  c.imp.dup = 0.03;
  c.imp.bad_tcp_csum = 0.03;
  c.imp.corrupt_ddgst = 0.2;
  c.imp.plant_lookalike = 0.5;
  return c;
}

}  // namespace nic::testing
