// A few spare byte buffers kept for reuse. The verdict's decode and judge hold one buffer per
// read in flight (128 KiB and more each); taking a finished read's buffer for the next one
// saves an allocation, and with it the page faults of fresh memory, per read.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "util/bytes.hpp"

namespace nic {

class BytePool {
 public:
  // Keeps at most `max_buffers` spares holding at most `max_bytes` of capacity together.
  explicit BytePool(size_t max_buffers = 16, size_t max_bytes = size_t(32) << 20)
      : max_buffers_(max_buffers), max_bytes_(max_bytes) {}

  // The most recently given spare (its contents and size are whatever they were), or an
  // empty buffer when none is left.
  Bytes take() {
    if (spares_.empty()) return {};
    Bytes b = std::move(spares_.back());
    spares_.pop_back();
    bytes_ -= b.capacity();
    return b;
  }
  // Keeps `b` as a spare if it has storage and the pool has room; frees it otherwise.
  void give(Bytes&& b) {
    const size_t cap = b.capacity();
    if (!cap || spares_.size() >= max_buffers_ || bytes_ + cap > max_bytes_) {
      Bytes().swap(b);
      return;
    }
    bytes_ += cap;
    spares_.push_back(std::move(b));
  }
  size_t spares() const { return spares_.size(); }

 private:
  size_t max_buffers_, max_bytes_;
  size_t bytes_ = 0;  // capacity of the spares
  std::vector<Bytes> spares_;
};

}  // namespace nic
