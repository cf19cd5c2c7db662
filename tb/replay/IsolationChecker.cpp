#include "tb/replay/IsolationChecker.hpp"

#include <systemc>

#include <cstdio>

#include "hw/abi/nic_abi.hpp"
#include "hw/pcie/DmaTag.hpp"

namespace nic::tb {

void IsolationChecker::registered(uint32_t flow, uint32_t io_tag,
                                  const std::vector<hw::SgEntry>& sgl) {
  std::vector<hw::SgEntry>& s = live_[key(flow, io_tag)];
  s.assign(sgl.begin(), sgl.end());  // reuses the storage of the tag's previous registration
}

// Kept as an empty list: the next registration of the tag reuses its storage.
void IsolationChecker::released(uint32_t flow, uint32_t io_tag) {
  if (auto it = live_.find(key(flow, io_tag)); it != live_.end()) it->second.clear();
}

void IsolationChecker::violation(const std::string& what) {
  ++count_;
  if (reports_.size() < 16)
    reports_.push_back(sc_core::sc_time_stamp().to_string() + ": " + what);
}

void IsolationChecker::on_write(uint64_t addr, size_t len, const tlm::tlm_generic_payload& gp) {
  const hw::DmaTag* tag = gp.get_extension<hw::DmaTag>();
  // Messages are built only for a violation: this runs for every DMA write.
  const auto where = [&] {
    char b[96];
    std::snprintf(b, sizeof b, "write of %zu B at 0x%llx", len, (unsigned long long)addr);
    return std::string(b);
  };
  if (tag && tag->kind == hw::DmaTag::Kind::Context) {
    if (!inside({abi::kCtxBackingBase, abi::kCtxBackingBytes}, addr, len) &&
        !inside({abi::kDdpBackingBase, abi::kDdpBackingBytes}, addr, len))
      violation(where() + " of a context outside the context and DDP backing stores");
    return;
  }
  if (!tag || tag->kind != hw::DmaTag::Kind::Placement) {
    if (inside(rx_, addr, len) || inside(tx_head_, addr, len)) return;
    if (!inside(cq_, addr, len)) return violation(where() + " outside every ring");
    // A TeardownDone entry landing ends its registration: no write may follow it.
    if (len == abi::kCqeSize && gp.get_data_ptr()) {
      const abi::Cqe c = abi::Cqe::decode(gp.get_data_ptr());
      if (c.type == abi::CqeType::TeardownDone) released(c.flow, c.io_tag);
    }
    return;
  }
  const auto who = [&] {
    return where() + " placed for flow " + std::to_string(tag->flow) + " tag " +
           std::to_string(tag->io_tag) + " (frame " + std::to_string(tag->packet) + ")";
  };
  auto it = live_.find(key(tag->flow, tag->io_tag));
  if (it == live_.end() || it->second.empty()) return violation(who() + ": no live registration");
  for (const hw::SgEntry& e : it->second)
    if (inside({e.addr, e.len}, addr, len)) return;
  violation(who() + ": outside every SG element of its registration");
}

}  // namespace nic::tb
