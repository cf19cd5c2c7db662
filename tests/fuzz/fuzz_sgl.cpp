// Fuzz target: SGL validation and offset translation (hw/offload/sgl.hpp), and the DDP
// context table (hw/offload/ddp_table.hpp).
//
// Input byte 0 even: SGL mode.
//   [max entries u8][n u8] then n entries [kind u8][addr][len] (kind picks small, 16-bit,
//   32-bit or zero lengths and addresses near 0, near 2^64 or anywhere), [io_len kind u8]
//   [io_len u32], then queries [kind u8][buf_off][len u32] until the end.
//   Invariants: check_sgl gives the documented verdict. A list that passes goes into an
//   SglPool; translate then either returns OutOfRange and emits nothing (exactly when the range
//   passes the list's end), or emits runs that match a linear reference walk: one run per
//   entry touched, in order, each inside its entry, contiguous in buffer space, summing to
//   len, never of length 0, never wrapping past 2^64; another list in the pool is untouched.
// Input byte 0 odd: DDP table mode.
//   [queue size u8][max entries u8] then ops [op u8][cid u8][...] (setup, teardown,
//   finish_teardown, note_completion, translate through lookup).
//   Invariants: lookup(cid) is non-null exactly for CIDs a shadow model of the slots (CIDs
//   sharing one by their low bits) says are Registered; registered() counts them; translation
//   through a looked-up context matches the SGL registered for it, which describes io_len
//   bytes, so placement through it stays inside the registered buffer.
#include <cstdint>
#include <vector>

#include "fuzz_check.hpp"
#include "hw/offload/ddp_table.hpp"
#include "hw/offload/sgl.hpp"

using namespace nic;
using hw::SgEntry;
using hw::SglError;

namespace {

struct Run {
  uint64_t addr;
  uint32_t len;
};

SgEntry read_entry(fuzz::Input& in) {
  const uint8_t k = in.u8();
  SgEntry e;
  switch (k & 3) {
    case 0: e.len = uint32_t(in.u8()) + 1; break;
    case 1: e.len = in.u16(); break;
    case 2: e.len = in.u32(); break;
    case 3: e.len = 0; break;
  }
  switch ((k >> 2) & 3) {
    case 0: e.addr = uint64_t(in.u16()) << 12; break;
    case 1: e.addr = UINT64_MAX - in.u16(); break;
    default: e.addr = in.u64(); break;
  }
  return e;
}

uint64_t total_of(const std::vector<SgEntry>& es) {
  uint64_t t = 0;
  for (const SgEntry& e : es) t += e.len;
  return t;
}

// The runs a translation must produce, by walking the list from its start.
bool reference(const std::vector<SgEntry>& es, uint64_t off, uint32_t len, std::vector<Run>& out) {
  out.clear();
  const uint64_t total = total_of(es);
  if (off > total || len > total - off) return false;
  uint64_t at = 0, left = len;
  for (const SgEntry& e : es) {
    if (!left) break;
    const uint64_t end = at + e.len;
    if (off < end && e.len) {
      const uint64_t skip = off > at ? off - at : 0;
      const uint64_t n = std::min<uint64_t>(left, e.len - skip);
      out.push_back({e.addr + skip, uint32_t(n)});
      left -= n;
      off += n;
    }
    at = end;
  }
  return true;
}

// `tr(off, len, emit)` translates like SglPool::translate.
template <class Translate>
void check_translate(Translate&& tr, const std::vector<SgEntry>& es, uint64_t off, uint32_t len) {
  std::vector<Run> got, want;
  const SglError e = tr(off, len, [&](uint64_t a, uint32_t n) { got.push_back({a, n}); });
  const bool in_range = reference(es, off, len, want);
  if (!in_range) {
    FUZZ_CHECK(e == SglError::OutOfRange);
    FUZZ_CHECK(got.empty());
    return;
  }
  FUZZ_CHECK(e == SglError::None);
  FUZZ_CHECK(got.size() == want.size());
  uint64_t sum = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(got[i].addr == want[i].addr && got[i].len == want[i].len);
    FUZZ_CHECK(got[i].len > 0);
    FUZZ_CHECK(got[i].addr <= UINT64_MAX - (got[i].len - 1));
    sum += got[i].len;
  }
  FUZZ_CHECK(sum == len);
}

uint64_t read_off(fuzz::Input& in, uint8_t k, uint64_t total) {
  switch ((k >> 1) & 3) {
    case 0: return total ? in.u32() % (total + 1) : 0;
    case 1: return total - (in.u8() % (total + 1 < 256 ? total + 1 : 256));
    case 2: return in.u64();
    default: return in.u32();
  }
}

void sgl_mode(fuzz::Input& in) {
  const size_t max_entries = in.u8();
  const size_t n = in.u8() % 64;
  std::vector<SgEntry> es;
  for (size_t i = 0; i < n; ++i) es.push_back(read_entry(in));
  const uint8_t k = in.u8();
  const uint64_t io_len = (k & 1) ? total_of(es) : in.u32();
  const SglError v = hw::check_sgl(es.data(), es.size(), max_entries, io_len);
  // check_sgl's verdict against the rules it documents.
  SglError entry_err = SglError::None;  // the first bad entry decides
  for (const SgEntry& e : es) {
    if (e.len == 0) entry_err = SglError::ZeroLength;
    else if (e.addr + (e.len - 1) < e.addr) entry_err = SglError::AddressWrap;
    if (entry_err != SglError::None) break;
  }
  if (es.empty() || io_len == 0) FUZZ_CHECK(v == SglError::Empty);
  else if (es.size() > max_entries) FUZZ_CHECK(v == SglError::TooManyEntries);
  else if (entry_err != SglError::None) FUZZ_CHECK(v == entry_err);
  else FUZZ_CHECK(v == (total_of(es) == io_len ? SglError::None : SglError::LengthMismatch));
  if (v != SglError::None || io_len > UINT32_MAX) return;  // never registered, never pooled

  // The list goes into a pool after a list that was freed (its run may be reused) and next to
  // one that is kept (which it must not disturb).
  hw::SglPool pool;
  const std::vector<SgEntry> other{{0x1000, 3}, {0x9000, 5}};
  pool.remove(pool.add(other.data(), other.size()));
  hw::SglPool::List kept = pool.add(other.data(), other.size());
  hw::SglPool::List l = pool.add(es.data(), es.size());
  FUZZ_CHECK(pool.total(l) == io_len);
  const auto tr = [&](hw::SglPool::List& list) {
    return [&](uint64_t o, uint32_t len, auto&& emit) { return pool.translate(list, o, len, emit); };
  };
  for (int q = 0; q < 4096 && !in.done(); ++q) {
    const uint8_t qk = in.u8();
    const uint64_t off = read_off(in, qk, io_len);
    const uint32_t len = (qk & 0x10) ? in.u32() : in.u16();
    check_translate(tr(l), es, off, len);
  }
  check_translate(tr(kept), other, 0, 8);
}

enum class Shadow : uint8_t { Free, Registered, Pending };

void ddp_mode(fuzz::Input& in) {
  const uint32_t queue = in.u8() % 65;
  const uint32_t max_sg = in.u8() % 9;
  // Any slot rule: an index above `shift` low bits, as colour bits would sit below it.
  const abi::TagSlotRule rule{abi::ddp_slots(queue), uint8_t(in.u8() % 4)};
  hw::DdpTable t;
  t.reset(rule, max_sg);
  const uint32_t slots = t.capacity();
  FUZZ_CHECK(slots == rule.slots && slots >= queue && (slots & (slots - 1)) == 0);
  struct Slot {
    Shadow state = Shadow::Free;
    uint32_t tag = 0;
    std::vector<SgEntry> list;
  };
  std::vector<Slot> sh(slots);
  // 256 distinct tags spread over all 32 bits, so the slot must remember the whole tag.
  const auto tag_of = [](uint32_t b) { return b | (b & 0xF0) << 24 | (b & 0x0C) << 16; };
  const auto slot_index = [&](uint32_t tag) { return (tag >> rule.shift) & (slots - 1); };
  for (int step = 0; step < 4096 && !in.done(); ++step) {
    const uint8_t op = in.u8();
    const uint32_t io_tag = tag_of(in.u8());
    Slot& s = sh[slot_index(io_tag)];
    const bool held = s.state != Shadow::Free && s.tag == io_tag;
    switch (op % 6) {
      case 0: {  // setup
        std::vector<SgEntry> es;
        const size_t n = in.u8() % 10;
        for (size_t i = 0; i < n; ++i) es.push_back(read_entry(in));
        const uint32_t io_len = (op & 0x40) ? in.u32() : uint32_t(total_of(es));
        const hw::DdpSetupResult r = t.setup(io_tag, es, io_len, in.u32());
        if (s.state != Shadow::Free) FUZZ_CHECK(r.err == hw::DdpError::Busy);
        else if (io_len > hw::DdpContext::kMaxIoLen) FUZZ_CHECK(r.err == hw::DdpError::TooLong);
        if (r.err == hw::DdpError::None) {
          FUZZ_CHECK(s.state == Shadow::Free);
          s = {Shadow::Registered, io_tag, es};
        }
        break;
      }
      case 1: {
        const hw::DdpError e = t.teardown(io_tag);
        FUZZ_CHECK((e == hw::DdpError::None) == (held && s.state == Shadow::Registered));
        if (e == hw::DdpError::None) s.state = Shadow::Pending;
        break;
      }
      case 2: {
        const hw::DdpError e = t.finish_teardown(io_tag);
        FUZZ_CHECK((e == hw::DdpError::None) == (held && s.state == Shadow::Pending));
        if (e == hw::DdpError::None) s.state = Shadow::Free;
        break;
      }
      case 3:
        t.note_completion(io_tag, in.u32());
        break;
      case 4:
      case 5: {  // placement through lookup
        hw::DdpContext* c = t.lookup(io_tag);
        if (!c) break;
        const uint64_t off = read_off(in, op, c->io_len);
        const uint32_t len = in.u16();
        const auto tr = [&](uint64_t o, uint32_t n, auto&& emit) {
          return t.translate(*c, o, n, emit);
        };
        check_translate(tr, s.list, off, len);
        check_translate(tr, s.list, 0, c->io_len);  // the whole buffer is the list
        break;
      }
    }
    uint32_t registered = 0;
    for (uint32_t i = 0; i < 256; ++i) {
      const uint32_t tag = tag_of(i);
      const Slot& x = sh[slot_index(tag)];
      hw::DdpContext* c = t.lookup(tag);
      const bool reg = x.state == Shadow::Registered && x.tag == tag;
      FUZZ_CHECK((c != nullptr) == reg);
      registered += reg;
      if (c) {
        FUZZ_CHECK(c->state == hw::DdpState::Registered && c->io_tag == tag);
        FUZZ_CHECK(hw::check_sgl(x.list.data(), x.list.size(), max_sg, c->io_len) ==
                   SglError::None);
      }
    }
    FUZZ_CHECK(t.registered() == registered);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  if (in.u8() & 1) ddp_mode(in);
  else sgl_mode(in);
  return 0;
}
