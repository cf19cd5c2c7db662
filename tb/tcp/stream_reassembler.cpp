#include "tb/tcp/stream_reassembler.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <vector>

namespace nic::tcp {

Arrival StreamReassembler::add(uint64_t offset, ByteView data) {
  const uint64_t end = offset + data.size;
  if (data.empty() || end <= rcv_nxt_) return Arrival::Duplicate;
  if (offset > rcv_nxt_) return hold(offset, data);
  const bool had_held = !held_.empty();
  uint64_t pos = rcv_nxt_;
  for (;;) {
    if (!held_.empty() && held_.begin()->first == pos) {  // now contiguous: hand it on
      Bytes& h = held_.begin()->second.data;
      ready_.insert(ready_.end(), h.begin(), h.end());
      pos += h.size();
      held_bytes_ -= h.size();
      held_.erase(held_.begin());
      continue;
    }
    // New bytes up to the next held range, whose own bytes win where they overlap.
    const uint64_t stop = held_.empty() ? end : std::min(end, held_.begin()->first);
    if (stop <= pos) break;
    ready_.insert(ready_.end(), data.begin() + (pos - offset), data.begin() + (stop - offset));
    pos = stop;
  }
  rcv_nxt_ = pos;
  return had_held ? Arrival::FilledHole : Arrival::InOrder;
}

Arrival StreamReassembler::hold(uint64_t offset, ByteView data) {
  const uint64_t end = offset + data.size;
  auto next = held_.upper_bound(offset);
  auto base = next;  // the range the segment extends: one reaching its start, or a new one
  if (next != held_.begin() && std::prev(next)->first + std::prev(next)->second.data.size() >= offset)
    base = std::prev(next);
  else
    base = held_.emplace_hint(next, offset, Held{});
  Bytes& b = base->second.data;
  uint64_t added = 0;
  for (;;) {
    const uint64_t pos = base->first + b.size();
    if (next != held_.end() && next->first == pos) {  // reached the next range: merge it
      b.insert(b.end(), next->second.data.begin(), next->second.data.end());
      next = held_.erase(next);
      continue;
    }
    const uint64_t stop = next == held_.end() ? end : std::min(end, next->first);
    if (stop <= pos) break;
    b.insert(b.end(), data.begin() + (pos - offset), data.begin() + (stop - offset));
    added += stop - pos;
  }
  base->second.stamp = ++stamp_;
  held_bytes_ += added;
  return added ? Arrival::OutOfOrder : Arrival::Duplicate;
}

Bytes StreamReassembler::take() {
  Bytes out;
  out.swap(ready_);
  return out;
}

SackBlocks StreamReassembler::sack_blocks(size_t max_blocks) const {
  std::vector<std::tuple<uint64_t, uint64_t, uint64_t>> ranges;  // stamp, start, end
  for (const auto& [start, h] : held_) ranges.emplace_back(h.stamp, start, start + h.data.size());
  const size_t n = std::min(max_blocks, ranges.size());
  std::partial_sort(ranges.begin(), ranges.begin() + n, ranges.end(),
                    [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  SackBlocks out;
  for (size_t i = 0; i < n; ++i) out.emplace_back(std::get<1>(ranges[i]), std::get<2>(ranges[i]));
  return out;
}

}  // namespace nic::tcp
