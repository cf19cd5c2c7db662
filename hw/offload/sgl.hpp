// Scatter-gather lists of registered read buffers, and translation of command-buffer offsets
// (DATAO + offset) into host memory runs for the placement DMA.
// Plain C++ (no SystemC). The lists of a DDP table live packed in one SglPool: a list is a run
// of 16-byte entries (address, length, offset of the entry in the buffer), named by an 8-byte
// handle that also holds its translation cursor. Translation is O(1) for sequential access
// (the cursor remembers the last entry) and O(log n) otherwise (binary search over the
// entries' buffer offsets); it never allocates. A freed run is reused by the next list of its
// size class (a power of two), so a steady state does not allocate either.
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

// Checks a list against the NIC's entry limit and the IO length. Entries may have any address
// alignment and any length >= 1; the first bad entry decides the error.
SglError check_sgl(const SgEntry* entries, size_t n, size_t max_entries, uint64_t io_len);

class SglPool {
 public:
  static constexpr size_t kMaxEntries = 65535;

  // A list in the pool.
  struct List {
    uint32_t first = 0;   // index of its first entry
    uint16_t size = 0;    // entries
    uint16_t cursor = 0;  // entry the next sequential translation starts in
  };

  // Copies a list that passed check_sgl with at most kMaxEntries entries (so its total is an
  // IO length, below 2^32).
  List add(const SgEntry* entries, size_t n);
  // Frees a list add returned.
  void remove(const List& l);

  uint64_t total(const List& l) const {
    const Entry& last = entries_[l.first + l.size - 1u];
    return uint64_t(last.start) + last.len;
  }
  size_t heap_bytes() const;
  // Index in the list of the entry holding buffer byte `buf_off` (< total).
  size_t find(const List& l, uint64_t buf_off) const;

  // Calls emit(addr, len) for each host memory run holding command-buffer bytes
  // [buf_off, buf_off + len), in order, one run per entry touched (entries are not merged even
  // when physically adjacent: each is its own DMA descriptor). Returns OutOfRange, emitting
  // nothing, when the range exceeds total(). Moves the list's cursor.
  template <class Emit>
  SglError translate(List& l, uint64_t buf_off, uint32_t len, Emit&& emit) const;

 private:
  struct Entry {
    uint64_t addr;
    uint32_t len;
    uint32_t start;  // buffer offset of the entry's first byte
  };
  static uint32_t size_class(size_t n);  // log2 of the run a list of n entries takes

  std::vector<Entry> entries_;
  std::vector<std::vector<uint32_t>> free_;  // first entries of free runs, by size class
};

template <class Emit>
SglError SglPool::translate(List& l, uint64_t buf_off, uint32_t len, Emit&& emit) const {
  const uint64_t end = total(l);
  if (buf_off > end || len > end - buf_off) return SglError::OutOfRange;
  if (len == 0) return SglError::None;
  const Entry* e = entries_.data() + l.first;
  size_t i = find(l, buf_off);
  uint64_t skip = buf_off - e[i].start;
  uint32_t left = len;
  for (;;) {
    const uint32_t n = uint32_t(std::min<uint64_t>(left, e[i].len - skip));
    emit(e[i].addr + skip, n);
    left -= n;
    if (left == 0) break;
    ++i;
    skip = 0;
  }
  // The next sequential access usually starts where this one ended.
  const bool ended_entry = uint64_t(e[i].start) + e[i].len == buf_off + len;
  l.cursor = uint16_t(ended_entry && i + 1 < l.size ? i + 1 : i);
  return SglError::None;
}

}  // namespace nic::hw
