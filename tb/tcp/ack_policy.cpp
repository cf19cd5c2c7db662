#include "tb/tcp/ack_policy.hpp"

namespace nic::tcp {

bool AckPolicy::on_segment(bool in_order, bool filled_hole, uint32_t len, uint64_t now) {
  if (in_order) unacked_ += len;
  const bool quick = quick_ > 0;
  if (quick) --quick_;
  // Out of order or duplicate: the sender counts duplicate ACKs and reads SACKs. A filled
  // hole: RFC 5681 4.2. More than one full segment waiting: Linux's every-second-segment rule.
  if (!in_order || filled_hole || unacked_ > p_.mss || quick) return true;
  if (!deadline_) deadline_ = now + p_.delack_ps;  // from the first unacknowledged segment
  return false;
}

}  // namespace nic::tcp
