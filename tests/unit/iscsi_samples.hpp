// Sample iSCSI headers shared by the iSCSI tests.
#pragma once
#include "proto/iscsi.hpp"

namespace iscsi_samples {

// One direction's digests and MaxRecvDataSegmentLength.
inline nic::iscsi::ConnParams params(bool hd, bool dd,
                                     uint32_t max = nic::iscsi::kMaxDataSegmentLength) {
  nic::iscsi::ConnParams cp;
  cp.hdgst = hd;
  cp.ddgst = dd;
  cp.max_data_segment = max;
  return cp;
}

// The last login PDU of either side: operational negotiation to full-feature phase, with the
// Linux initiator's ISID (type 0x00 0x023d, qualifier 1).
template <class Login> Login final_login() {
  Login l;
  l.transit = true;
  l.csg = nic::iscsi::kLoginOperationalNegotiation;
  l.nsg = nic::iscsi::kFullFeaturePhase;
  l.isid = 0x00023D000001ull;
  l.itt = 1;
  return l;
}

}  // namespace iscsi_samples
