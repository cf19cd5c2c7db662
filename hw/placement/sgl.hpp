// Scatter-gather list of a registered read buffer, and translation of command-buffer offsets
// (DATAO + offset) into host memory runs for the placement DMA.
// Plain C++ (no SystemC). Translation is O(1) for sequential access (a cursor remembers the
// last entry) and O(log n) otherwise (binary search over prefix sums); it never allocates.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nic::hw {

struct SgEntry {
  uint64_t addr = 0;
  uint32_t len = 0;
};

enum class SglError : uint8_t {
  None,
  Empty,           // no entries, or an IO length of 0
  TooManyEntries,  // more entries than the NIC supports
  ZeroLength,      // an entry of length 0
  AddressWrap,     // an entry's last byte lies beyond 2^64 - 1
  LengthMismatch,  // entry lengths do not sum to the IO length
  OutOfRange,      // translate: the range goes past the end of the list
};
const char* to_string(SglError e);

class Sgl {
 public:
  // Replaces the entries; storage is reused, so re-registering allocates only to grow.
  void assign(const SgEntry* entries, size_t n);
  void assign(const std::vector<SgEntry>& e) { assign(e.data(), e.size()); }

  // Checks the list against the NIC's entry limit and the IO length. Entries may have any
  // address alignment and any length >= 1.
  SglError validate(size_t max_entries, uint64_t io_len) const {
    return check(entries_.data(), entries_.size(), max_entries, io_len);
  }
  // The same check on a list not (yet) held in an Sgl.
  static SglError check(const SgEntry* entries, size_t n, size_t max_entries, uint64_t io_len);

  size_t size() const { return entries_.size(); }
  const SgEntry& operator[](size_t i) const { return entries_[i]; }
  uint64_t total() const { return starts_.empty() ? 0 : starts_.back(); }
  size_t heap_bytes() const {
    return entries_.capacity() * sizeof(SgEntry) + starts_.capacity() * sizeof(uint64_t);
  }

  // Calls emit(addr, len) for each host memory run holding command-buffer bytes
  // [buf_off, buf_off + len), in order, one run per entry touched (entries are not merged even
  // when physically adjacent: each is its own DMA descriptor). Returns OutOfRange, emitting
  // nothing, when the range exceeds total(). Not const: it moves the cursor.
  template <class Emit>
  SglError translate(uint64_t buf_off, uint32_t len, Emit&& emit);

 private:
  size_t find(uint64_t buf_off);  // entry holding buf_off < total()

  std::vector<SgEntry> entries_;
  std::vector<uint64_t> starts_;  // starts_[i]: buffer offset of entry i; back() = total
  size_t cursor_ = 0;
};

template <class Emit>
SglError Sgl::translate(uint64_t buf_off, uint32_t len, Emit&& emit) {
  if (buf_off > total() || len > total() - buf_off) return SglError::OutOfRange;
  if (len == 0) return SglError::None;
  size_t i = find(buf_off);
  uint64_t skip = buf_off - starts_[i];
  uint32_t left = len;
  for (;;) {
    const uint32_t n = uint32_t(std::min<uint64_t>(left, entries_[i].len - skip));
    if (n) emit(entries_[i].addr + skip, n);  // n is 0 only on an unvalidated list
    left -= n;
    if (left == 0) break;
    ++i;
    skip = 0;
  }
  // The next sequential access usually starts where this one ended.
  cursor_ = starts_[i] + entries_[i].len == buf_off + len && i + 1 < entries_.size() ? i + 1 : i;
  return SglError::None;
}

}  // namespace nic::hw
