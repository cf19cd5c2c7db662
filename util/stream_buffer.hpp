// The unread tail of an in-order byte stream, for framers that take whole messages off its
// front as they complete, however the bytes arrived.
#pragma once
#include <cstddef>

#include "util/bytes.hpp"

namespace nic {

class StreamBuffer {
 public:
  void append(ByteView bytes) {
    // Drop consumed bytes once they outweigh the unread ones: amortised O(1) per byte.
    if (pos_ && pos_ >= buf_.size() - pos_) {
      buf_.erase(buf_.begin(), buf_.begin() + pos_);
      pos_ = 0;
    }
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  }
  ByteView unread() const { return ByteView(buf_).sub(pos_); }
  size_t size() const { return buf_.size() - pos_; }
  void consume(size_t n) { pos_ += n; }
  void clear() {
    buf_.clear();
    pos_ = 0;
  }

 private:
  Bytes buf_;
  size_t pos_ = 0;
};

}  // namespace nic
