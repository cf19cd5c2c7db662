#include "hw/offload/sgl.hpp"

namespace nic::hw {

const char* to_string(SglError e) {
  switch (e) {
    case SglError::None: return "None";
    case SglError::Empty: return "Empty";
    case SglError::TooManyEntries: return "TooManyEntries";
    case SglError::ZeroLength: return "ZeroLength";
    case SglError::AddressWrap: return "AddressWrap";
    case SglError::LengthMismatch: return "LengthMismatch";
    case SglError::OutOfRange: return "OutOfRange";
  }
  return "?";
}

SglError check_sgl(const SgEntry* entries, size_t n, size_t max_entries, uint64_t io_len) {
  if (n == 0 || io_len == 0) return SglError::Empty;
  if (n > max_entries) return SglError::TooManyEntries;
  uint64_t total = 0;
  for (const SgEntry* e = entries; e != entries + n; ++e) {
    if (e->len == 0) return SglError::ZeroLength;
    if (e->addr > UINT64_MAX - (e->len - 1)) return SglError::AddressWrap;
    total += e->len;
  }
  return total == io_len ? SglError::None : SglError::LengthMismatch;
}

uint32_t SglPool::size_class(size_t n) {
  uint32_t c = 0;
  while ((size_t(1) << c) < n) ++c;
  return c;
}

SglPool::List SglPool::add(const SgEntry* entries, size_t n) {
  const uint32_t c = size_class(n);
  List l;
  if (c >= free_.size() || free_[c].empty()) {
    l.first = uint32_t(entries_.size());
    entries_.resize(entries_.size() + (size_t(1) << c));
  } else {
    l.first = free_[c].back();
    free_[c].pop_back();
  }
  l.size = uint16_t(n);
  uint32_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    entries_[l.first + i] = {entries[i].addr, entries[i].len, at};
    at += entries[i].len;
  }
  return l;
}

void SglPool::remove(const List& l) {
  const uint32_t c = size_class(l.size);
  if (c >= free_.size()) free_.resize(c + 1);
  free_[c].push_back(l.first);
}

size_t SglPool::heap_bytes() const {
  size_t n = entries_.capacity() * sizeof(Entry) + free_.capacity() * sizeof(free_[0]);
  for (const auto& f : free_) n += f.capacity() * sizeof(uint32_t);
  return n;
}

size_t SglPool::find(const List& l, uint64_t buf_off) const {
  const Entry* e = entries_.data() + l.first;
  if (buf_off >= e[l.cursor].start && buf_off - e[l.cursor].start < e[l.cursor].len)
    return l.cursor;
  // The last entry starting at or before buf_off (entries are never empty).
  const Entry* it = std::upper_bound(e, e + l.size, buf_off,
                                     [](uint64_t off, const Entry& x) { return off < x.start; });
  return size_t(it - e) - 1;
}

}  // namespace nic::hw
