#include "host_driver/ulp_rx/tcp_receiver.hpp"

#include <algorithm>
#include <stdexcept>

namespace nic::host {
namespace {

// The attributes of bytes [off, off + n) of a range list, into `out` (replaced). A placed
// range cut at the front keeps pointing at the right buffer byte.
void slice_attrs(const RangeAttrs& in, size_t off, size_t n, bool trust_crc, RangeAttrs& out) {
  out.clear();
  size_t at = 0;
  for (const RangeAttr& a : in) {
    const size_t lo = std::max(at, off), hi = std::min(at + a.len, off + n);
    if (lo < hi) {
      RangeAttr s = a;
      s.len = uint32_t(hi - lo);
      if (s.placed) s.buf_off += uint32_t(lo - at);
      s.crc_ok = a.crc_ok && trust_crc;
      out.push_back(s);
    }
    at += a.len;
    if (at >= off + n) break;
  }
}

}  // namespace

TcpReceiver::TcpReceiver(Deliver deliver, TcpRxConfig cfg)
    : deliver_(std::move(deliver)), cfg_(cfg) {}

void TcpReceiver::init(uint32_t isn_next) {
  isn_ = isn_next;
  nxt_ = 0;
  ooo_.clear();
  ooo_bytes_ = 0;
}

void TcpReceiver::on_segment(uint32_t seq, ByteView payload, const RangeAttrs& attrs,
                             bool trust_crc) {
  if (payload.empty()) return;
  size_t tiled = 0;
  for (const RangeAttr& a : attrs) tiled += a.len;
  if (tiled != payload.size) throw std::invalid_argument("TcpReceiver: attrs do not tile payload");
  ++stats_.segments;
  stats_.bytes_received += payload.size;

  // Sequence numbers are compared within 2^31 of rcv_nxt, as TCP does; offsets do not wrap.
  const int64_t start = nxt_ + int32_t(seq - rcv_nxt());
  const int64_t end = start + int64_t(payload.size);
  const int64_t limit = nxt_ + int64_t(cfg_.window);
  const int64_t lo = std::max(start, nxt_), hi = std::min(end, limit);
  const uint64_t beyond_window = uint64_t(std::max<int64_t>(0, end - std::max(start, limit)));
  if (start > nxt_) ++stats_.ooo_segments;

  // Walk [lo, hi) against the queue: bytes some piece already holds stay as they are (first
  // arrival wins); every gap is new and is taken from this segment.
  auto it = ooo_.upper_bound(lo);
  if (it != ooo_.begin() && std::prev(it)->first + int64_t(std::prev(it)->second.data.size()) > lo)
    --it;
  uint64_t taken = 0, refused = 0;
  for (int64_t cur = lo; cur < hi;) {
    if (it != ooo_.end() && it->first <= cur) {
      cur = std::max(cur, it->first + int64_t(it->second.data.size()));
      // A queued piece that is now next goes out at once, so the rest of this segment can
      // follow it without being queued.
      if (it->first == nxt_) {
        deliver_front();
        it = ooo_.begin();
      } else {
        ++it;
      }
      continue;
    }
    const int64_t gap_end = it == ooo_.end() ? hi : std::min(hi, it->first);
    const size_t from = size_t(cur - start), n = size_t(gap_end - cur);
    (accept(cur, payload.sub(from, n), attrs, from, trust_crc, it) ? taken : refused) += n;
    cur = gap_end;
  }
  drain();

  const uint64_t dup = payload.size - beyond_window - taken - refused;
  stats_.duplicate_bytes += dup;
  if (dup == payload.size) ++stats_.duplicate_segments;
  stats_.dropped_bytes += beyond_window + refused;
}

bool TcpReceiver::accept(int64_t at, ByteView bytes, const RangeAttrs& seg_attrs, size_t from,
                         bool trust_crc, std::map<int64_t, Piece>::iterator hint) {
  if (at == nxt_) {
    // In order: hand the segment's bytes on without copying them.
    slice_attrs(seg_attrs, from, bytes.size, trust_crc, scratch_);
    nxt_ += int64_t(bytes.size);
    stats_.bytes_delivered += bytes.size;
    deliver_(seq_at(at), bytes, scratch_);
    return true;
  }
  const size_t cost = bytes.size + kPieceOverhead;
  if (ooo_bytes_ + cost > cfg_.max_ooo_bytes) return false;
  Piece p;
  p.data.assign(bytes.begin(), bytes.end());
  slice_attrs(seg_attrs, from, bytes.size, trust_crc, p.attrs);
  p.stamp = ++queued_;
  ooo_.emplace_hint(hint, at, std::move(p));
  ooo_bytes_ += cost;
  stats_.ooo_high_water = std::max(stats_.ooo_high_water, ooo_bytes_);
  return true;
}

void TcpReceiver::sack_blocks(size_t max, std::vector<std::pair<uint32_t, uint32_t>>& out) const {
  out.clear();
  // Adjacent pieces make one block, as recent as its latest piece.
  struct Block {
    int64_t from, to;
    uint64_t stamp;
  };
  std::vector<Block> blocks;
  for (const auto& [off, piece] : ooo_) {
    const int64_t end = off + int64_t(piece.data.size());
    if (!blocks.empty() && blocks.back().to == off) {
      blocks.back().to = end;
      blocks.back().stamp = std::max(blocks.back().stamp, piece.stamp);
    } else {
      blocks.push_back({off, end, piece.stamp});
    }
  }
  const size_t n = std::min(max, blocks.size());
  std::partial_sort(blocks.begin(), blocks.begin() + std::ptrdiff_t(n), blocks.end(),
                    [](const Block& a, const Block& b) { return a.stamp > b.stamp; });
  for (size_t i = 0; i < n; ++i) out.emplace_back(seq_at(blocks[i].from), seq_at(blocks[i].to));
}

void TcpReceiver::deliver_front() {
  auto node = ooo_.extract(ooo_.begin());
  const Piece& p = node.mapped();
  ooo_bytes_ -= p.data.size() + kPieceOverhead;
  nxt_ += int64_t(p.data.size());
  stats_.bytes_delivered += p.data.size();
  deliver_(seq_at(node.key()), p.data, p.attrs);
}

void TcpReceiver::drain() {
  while (!ooo_.empty() && ooo_.begin()->first == nxt_) deliver_front();
}

}  // namespace nic::host
