#include "hw/pcie/HostMemory.hpp"

#include "hw/common/set_assoc_cache.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

namespace nic {

namespace {

// True when [addr, addr + n) does not run past 2^64.
bool fits(uint64_t addr, uint64_t n) {
  return n == 0 || n - 1 <= std::numeric_limits<uint64_t>::max() - addr;
}

// Calls f(page_number, offset_in_page, offset_in_buffer, length) for each page touched.
template <typename F>
void for_each_page(uint64_t addr, size_t n, F f) {
  size_t done = 0;
  while (done < n) {
    const uint64_t a = addr + done;
    const size_t off = size_t(a % HostMemory::kPageSize);
    const size_t len = std::min(n - done, size_t(HostMemory::kPageSize) - off);
    f(a / HostMemory::kPageSize, off, done, len);
    done += len;
  }
}

}  // namespace

HostMemory::HostMemory(sc_core::sc_module_name name, const HostMemoryParams& p)
    : sc_module(name),
      socket("socket"),
      latency_(p.mem_latency_ns, sc_core::SC_NS),
      ps_per_byte_(p.mem_gbps > 0 ? 8e3 / p.mem_gbps : 0),
      walk_(p.iommu_walk_ns, sc_core::SC_NS),
      iommu_page_(p.iommu_page_bytes) {
  if (p.iotlb_entries) {
    if (p.iotlb_entries % p.iotlb_ways || !p.iommu_page_bytes ||
        (p.iommu_page_bytes & (p.iommu_page_bytes - 1)))
      throw std::invalid_argument(
          "HostMemory: iotlb_entries must be a multiple of iotlb_ways, the page a power of two");
    iotlb_ = std::make_unique<hw::SetAssocCache>(p.iotlb_entries, p.iotlb_ways, 1,
                                                 hw::Replacement::Lru);
  }
  socket.register_b_transport(this, &HostMemory::b_transport);
  socket.register_transport_dbg(this, &HostMemory::transport_dbg);
}

HostMemory::HostMemory(sc_core::sc_module_name name, sc_core::sc_time access_latency)
    : sc_module(name), socket("socket"), latency_(access_latency), ps_per_byte_(0), iommu_page_(0) {
  socket.register_b_transport(this, &HostMemory::b_transport);
  socket.register_transport_dbg(this, &HostMemory::transport_dbg);
}

HostMemory::~HostMemory() = default;

void HostMemory::write(uint64_t addr, const uint8_t* p, size_t n) {
  if (!fits(addr, n)) throw std::out_of_range("HostMemory::write past 2^64");
  copy_in(addr, p, n, nullptr, 0);
}

void HostMemory::read(uint64_t addr, uint8_t* p, size_t n) const {
  if (!fits(addr, n)) throw std::out_of_range("HostMemory::read past 2^64");
  copy_out(addr, p, n, nullptr, 0);
}

void HostMemory::release(uint64_t addr, size_t n) {
  if (!fits(addr, n)) throw std::out_of_range("HostMemory::release past 2^64");
  static const uint8_t kZeros[kPageSize] = {};
  for_each_page(addr, n, [&](uint64_t pn, size_t off, size_t, size_t len) {
    auto it = pages_.find(pn);
    if (it == pages_.end()) return;
    Page& pg = it->second;
    std::memset(pg.bytes.get() + off, 0, len);
    // Released bytes at either end of [lo, hi) leave it; what remains is scanned.
    const auto end = uint32_t(off + len);
    if (off <= pg.lo) pg.lo = std::max(pg.lo, end);
    if (end >= pg.hi) pg.hi = std::min(pg.hi, uint32_t(off));
    if (pg.lo < pg.hi && std::memcmp(pg.bytes.get() + pg.lo, kZeros, pg.hi - pg.lo) != 0) return;
    if (pn == last_pn_) last_pn_ = UINT64_MAX;
    spare_.push_back(pages_.extract(it));
  });
}

const HostMemory::Page* HostMemory::find_page(uint64_t pn) const {
  if (pn != last_pn_) {
    const auto it = pages_.find(pn);
    if (it == pages_.end()) return nullptr;
    last_pn_ = pn;
    last_page_ = &it->second;
  }
  return last_page_;
}

HostMemory::Page* HostMemory::find_page(uint64_t pn) {
  return const_cast<Page*>(std::as_const(*this).find_page(pn));
}

Bytes HostMemory::read(uint64_t addr, size_t n) const {
  Bytes b(n);
  read(addr, b.data(), n);
  return b;
}

HostMemory::Page& HostMemory::new_page(uint64_t pn) {
  if (spare_.empty())  // value-initialised
    return pages_.emplace(pn, Page{std::make_unique<uint8_t[]>(kPageSize)}).first->second;
  PageMap::node_type node = std::move(spare_.back());
  spare_.pop_back();
  node.key() = pn;
  node.mapped().lo = kPageSize;
  node.mapped().hi = 0;
  return pages_.insert(std::move(node)).position->second;
}

HostMemory::Stats HostMemory::stats() const {
  Stats s = stats_;
  s.pages_allocated = pages_.size();
  return s;
}

bool HostMemory::check(tlm::tlm_generic_payload& gp) const {
  const unsigned sw = gp.get_streaming_width();
  tlm::tlm_response_status st = tlm::TLM_OK_RESPONSE;
  if (!fits(gp.get_address(), gp.get_data_length()))
    st = tlm::TLM_ADDRESS_ERROR_RESPONSE;
  else if (sw != 0 && sw < gp.get_data_length())  // streaming is not supported; 0 means unset
    st = tlm::TLM_BURST_ERROR_RESPONSE;
  else if (gp.get_byte_enable_ptr() && gp.get_byte_enable_length() == 0)
    st = tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  gp.set_response_status(st);
  return st == tlm::TLM_OK_RESPONSE;
}

void HostMemory::apply(tlm::tlm_generic_payload& gp) {
  const uint64_t addr = gp.get_address();
  const size_t n = gp.get_data_length();
  const uint8_t* be = gp.get_byte_enable_ptr();
  const size_t be_len = gp.get_byte_enable_length();
  if (gp.is_write())
    copy_in(addr, gp.get_data_ptr(), n, be, be_len);
  else if (gp.is_read())
    copy_out(addr, gp.get_data_ptr(), n, be, be_len);
}

void HostMemory::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const size_t n = gp.get_data_length();
  const sc_core::sc_time arrival = sc_core::sc_time_stamp() + delay;
  sc_core::sc_time start = arrival;
  if (iotlb_) {  // translate every page the access touches, walks one after another
    const uint64_t a = gp.get_address();
    for (uint64_t pg = a / iommu_page_, last = (a + std::max<size_t>(n, 1) - 1) / iommu_page_;
         pg <= last; ++pg) {
      ++stats_.iotlb_lookups;
      if (iotlb_->access(pg, false) != hw::SetAssocCache::Lookup::Miss) continue;
      ++stats_.iotlb_misses;
      iotlb_->fill(pg);
      start += walk_;
    }
  }
  if (ps_per_byte_ > 0) {
    if (free_ > start) {
      stats_.queued += free_ - start;
      start = free_;
    }
    free_ = start + sc_core::sc_time::from_value(uint64_t(double(n) * ps_per_byte_ + 0.5));
    start = free_;
  }
  delay += (start - arrival) + latency_;
  if (!check(gp)) return;
  if (gp.is_write()) {
    if (observer_) observer_(gp.get_address(), n, gp);
    ++stats_.tlm_writes;
    stats_.tlm_bytes_written += n;
  } else if (gp.is_read()) {
    ++stats_.tlm_reads;
    stats_.tlm_bytes_read += n;
  }
  apply(gp);
}

unsigned int HostMemory::transport_dbg(tlm::tlm_generic_payload& gp) {
  if (!check(gp)) return 0;
  apply(gp);
  return gp.is_read() || gp.is_write() ? gp.get_data_length() : 0;
}

void HostMemory::copy_in(uint64_t addr, const uint8_t* src, size_t n, const uint8_t* be,
                         size_t be_len) {
  for_each_page(addr, n, [&](uint64_t pn, size_t off, size_t pos, size_t len) {
    Page* pg = find_page(pn);
    if (!pg) pg = &new_page(pn);
    pg->lo = std::min(pg->lo, uint32_t(off));
    pg->hi = std::max(pg->hi, uint32_t(off + len));
    uint8_t* page = pg->bytes.get();
    if (!be) {
      std::memcpy(page + off, src + pos, len);
      return;
    }
    for (size_t i = 0; i < len; ++i)
      if (be[(pos + i) % be_len] != TLM_BYTE_DISABLED) page[off + i] = src[pos + i];
  });
}

void HostMemory::copy_out(uint64_t addr, uint8_t* dst, size_t n, const uint8_t* be,
                          size_t be_len) const {
  for_each_page(addr, n, [&](uint64_t pn, size_t off, size_t pos, size_t len) {
    const Page* pg = find_page(pn);
    const uint8_t* page = pg ? pg->bytes.get() : nullptr;
    if (!be) {
      if (page)
        std::memcpy(dst + pos, page + off, len);
      else
        std::memset(dst + pos, 0, len);
      return;
    }
    for (size_t i = 0; i < len; ++i)
      if (be[(pos + i) % be_len] != TLM_BYTE_DISABLED) dst[pos + i] = page ? page[off + i] : 0;
  });
}

}  // namespace nic
