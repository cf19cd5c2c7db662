#include "tb/gen/tcp_stream.hpp"

#include <algorithm>

#include "proto/net.hpp"

namespace nic::gen {

namespace {
constexpr size_t kCompactAt = 1 << 20;  // drop sent bytes once this many pile up
}

void TcpSender::append(ByteView bytes, uint64_t ready_ps) {
  if (bytes.empty()) return;
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  pieces_.push_back({written(), ready_ps});
}

uint64_t TcpSender::ready_for(size_t max) const {
  const uint64_t last = sent_ + std::min(max, unsent());
  uint64_t ready = 0;
  for (const Piece& p : pieces_) {
    ready = std::max(ready, p.ready_ps);
    if (p.end >= last) break;
  }
  return ready;
}

Segment TcpSender::take(size_t max) {
  Segment s;
  const size_t n = std::min(max, unsent());
  s.offset = sent_;
  s.payload.assign(buf_.begin() + head_, buf_.begin() + head_ + n);
  s.flags = n == unsent() ? net::tcpflag::PSH : 0;
  head_ += n;
  sent_ += n;
  while (!pieces_.empty() && pieces_.front().end <= sent_) pieces_.pop_front();
  if (head_ >= kCompactAt && head_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + head_);
    head_ = 0;
  }
  return s;
}

RecvTracker::Arrival RecvTracker::add(uint64_t offset, uint64_t len) {
  const uint64_t end = offset + len;
  if (end <= next_) return Arrival::Duplicate;
  if (offset > next_) {
    auto [it, fresh] = ooo_.emplace(offset, end);
    if (!fresh && it->second >= end) return Arrival::Duplicate;
    it->second = std::max(it->second, end);
    return Arrival::OutOfOrder;
  }
  next_ = end;
  const bool had_hole = !ooo_.empty();
  // Pull in held data that is now contiguous.
  for (auto it = ooo_.begin(); it != ooo_.end() && it->first <= next_; it = ooo_.erase(it))
    next_ = std::max(next_, it->second);
  return had_hole ? Arrival::FilledHole : Arrival::InOrder;
}

}  // namespace nic::gen
