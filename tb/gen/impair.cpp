#include "tb/gen/impair.hpp"

#include <algorithm>

#include "proto/net.hpp"

namespace nic::gen {

namespace {
// Longest Ethernet + IP + TCP header a generated frame can have.
constexpr uint32_t kMaxHeaders = 14 + 8 + 60 + 60;
}  // namespace

std::vector<Emission> Impairer::fresh(Segment seg, bool completes) {
  ++fresh_;
  if (rng_.chance(adv_.stale_dup)) {
    ++adv_counts_.stale_dup;
    held_.push_back({fresh_ + adv_.stale_delay, seg, Kind::Stale});
  }
  bool aimed = hit_next_;
  hit_next_ = false;
  if (completes && rng_.chance(adv_.resp_hole)) {
    ++adv_counts_.resp_hole;
    aimed = true;
    hit_next_ = rng_.chance(0.5);
  }
  std::vector<Emission> out = aimed ? hit(std::move(seg)) : impair(std::move(seg));
  for (Emission& e : out)
    if (rng_.chance(adv_.ip_options)) {
      e.ip_options = true;
      ++adv_counts_.ip_options;
    }
  return out;
}

std::vector<Emission> Impairer::impair(Segment seg) {
  if (rng_.chance(adv_.truncate)) {
    ++adv_counts_.truncated;
    Emission e{seg};
    e.cut = uint32_t(rng_.range(1, kMaxHeaders + seg.payload.size()));
    hold_retransmit(std::move(seg));
    return {std::move(e)};
  }
  if (rng_.chance(cfg_.loss)) return lose(std::move(seg));
  if (rng_.chance(cfg_.bad_tcp_csum)) {
    ++counts_.bad_tcp_csum;
    hold_retransmit(seg);
    return {Emission{std::move(seg), true}};
  }
  if (rng_.chance(cfg_.reorder)) return delay(std::move(seg));
  if (rng_.chance(cfg_.dup)) return twice(std::move(seg));
  return {Emission{std::move(seg)}};
}

std::vector<Emission> Impairer::hit(Segment seg) {
  switch (rng_.below(3)) {
    case 0: return lose(std::move(seg));
    case 1: return delay(std::move(seg));
    default: return twice(std::move(seg));
  }
}

std::vector<Emission> Impairer::lose(Segment seg) {
  ++counts_.lost;
  hold_retransmit(std::move(seg));
  return {};
}

std::vector<Emission> Impairer::delay(Segment seg) {
  ++counts_.reordered;
  held_.push_back({fresh_ + rng_.range(1, cfg_.reorder_window), std::move(seg), Kind::Reorder});
  return {};
}

std::vector<Emission> Impairer::twice(Segment seg) {
  ++counts_.duplicated;
  return {Emission{seg}, Emission{seg}};
}

bool Impairer::pending(bool starved) const {
  return std::any_of(held_.begin(), held_.end(), [&](const Held& h) { return eligible(h, starved); });
}

std::vector<Emission> Impairer::release(bool starved) {
  // Earliest due first; among equals the one held first.
  auto it = held_.end();
  for (auto h = held_.begin(); h != held_.end(); ++h)
    if (eligible(*h, starved) && (it == held_.end() || h->due < it->due)) it = h;
  Held h = std::move(*it);
  held_.erase(it);
  if (h.kind != Kind::Retransmit) return {Emission{std::move(h.seg)}};
  std::vector<Emission> out = cfg_.reseg_retransmit ? resegment(std::move(h.seg))
                                                    : std::vector<Emission>{Emission{std::move(h.seg)}};
  counts_.retransmitted += out.size();
  return out;
}

void Impairer::hold_retransmit(Segment seg) {
  held_.push_back({fresh_ + cfg_.retransmit_delay, std::move(seg), Kind::Retransmit});
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
