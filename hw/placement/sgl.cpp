#include "hw/placement/sgl.hpp"

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

void Sgl::assign(const SgEntry* entries, size_t n) {
  entries_.assign(entries, entries + n);
  starts_.resize(n + 1);
  uint64_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    starts_[i] = at;
    at += entries[i].len;
  }
  starts_[n] = at;
  cursor_ = 0;
}

SglError Sgl::check(const SgEntry* entries, size_t n, size_t max_entries, uint64_t io_len) {
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

size_t Sgl::find(uint64_t buf_off) {
  if (buf_off >= starts_[cursor_] && buf_off < starts_[cursor_ + 1]) return cursor_;
  // First start beyond buf_off, minus one; zero-length entries (invalid anyway) are skipped
  // because upper_bound lands past equal starts.
  cursor_ = size_t(std::upper_bound(starts_.begin(), starts_.end() - 1, buf_off) -
                   starts_.begin()) - 1;
  return cursor_;
}

}  // namespace nic::hw
