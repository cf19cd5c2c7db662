// A first-in first-out queue over a ring that keeps its storage: once it has grown to the most
// items ever held at once, pushing and popping allocate nothing (a std::deque allocates and
// frees a block every few items that pass through it).
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

namespace nic {

template <class T>
class RingFifo {
 public:
  void push(const T& v) {
    if (n_ == buf_.size()) grow();
    buf_[(head_ + n_++) % buf_.size()] = v;
  }
  T& front() { return buf_[head_]; }
  void pop() {
    head_ = (head_ + 1) % buf_.size();
    --n_;
  }
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }

 private:
  void grow() {
    std::rotate(buf_.begin(), buf_.begin() + std::ptrdiff_t(head_), buf_.end());
    head_ = 0;
    buf_.resize(std::max<size_t>(8, buf_.size() * 2));
  }

  std::vector<T> buf_;
  size_t head_ = 0, n_ = 0;
};

}  // namespace nic
