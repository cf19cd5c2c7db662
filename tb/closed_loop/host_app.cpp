#include "tb/closed_loop/host_app.hpp"

#include <algorithm>

namespace nic::loop {

void IoFigures::merge(const IoFigures& o) {
  if (!o.reads && !o.errors) return;
  first_issue_ps = reads || errors ? std::min(first_issue_ps, o.first_issue_ps) : o.first_issue_ps;
  last_complete_ps = std::max(last_complete_ps, o.last_complete_ps);
  reads += o.reads;
  errors += o.errors;
  bytes += o.bytes;
  clat_ns.merge(o.clat_ns);
}

}  // namespace nic::loop
