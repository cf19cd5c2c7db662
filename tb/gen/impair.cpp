#include "tb/gen/impair.hpp"

#include <algorithm>

#include "proto/net.hpp"

namespace nic::gen {

std::vector<Emission> Impairer::fresh(Segment seg) {
  ++fresh_;
  if (rng_.chance(cfg_.loss)) {
    ++counts_.lost;
    hold_retransmit(std::move(seg));
    return {};
  }
  if (rng_.chance(cfg_.bad_tcp_csum)) {
    ++counts_.bad_tcp_csum;
    hold_retransmit(seg);
    return {Emission{std::move(seg), true}};
  }
  if (rng_.chance(cfg_.reorder)) {
    ++counts_.reordered;
    held_.push_back({fresh_ + rng_.range(1, cfg_.reorder_window), std::move(seg), false});
    return {};
  }
  if (rng_.chance(cfg_.dup)) {
    ++counts_.duplicated;
    return {Emission{seg}, Emission{seg}};
  }
  return {Emission{std::move(seg)}};
}

bool Impairer::pending(bool starved) const {
  if (held_.empty()) return false;
  if (starved) return true;
  return std::any_of(held_.begin(), held_.end(), [&](const Held& h) { return h.due <= fresh_; });
}

std::vector<Emission> Impairer::release() {
  // Earliest due first; among equals the one held first (min_element keeps the first).
  auto it = std::min_element(held_.begin(), held_.end(),
                             [](const Held& a, const Held& b) { return a.due < b.due; });
  Held h = std::move(*it);
  held_.erase(it);
  if (!h.retransmit) return {Emission{std::move(h.seg)}};
  std::vector<Emission> out = cfg_.reseg_retransmit ? resegment(std::move(h.seg))
                                                    : std::vector<Emission>{Emission{std::move(h.seg)}};
  counts_.retransmitted += out.size();
  return out;
}

void Impairer::hold_retransmit(Segment seg) {
  held_.push_back({fresh_ + cfg_.retransmit_delay, std::move(seg), true});
}

// The retransmission cut at a boundary the original did not have.
std::vector<Emission> Impairer::resegment(Segment seg) {
  const size_t n = seg.payload.size();
  if (n < 2) return {Emission{std::move(seg)}};
  const size_t cut = size_t(rng_.range(1, n - 1));
  Segment head = seg;
  head.payload.resize(cut);
  head.flags &= uint8_t(~net::tcpflag::PSH);
  Segment tail = std::move(seg);
  tail.payload.erase(tail.payload.begin(), tail.payload.begin() + long(cut));
  tail.offset += cut;
  tail.seq += uint32_t(cut);
  return {Emission{std::move(head)}, Emission{std::move(tail)}};
}

}  // namespace nic::gen
