#include "host_driver/ulp_ddp/placed_runs.hpp"

namespace nic::host {

void sort_runs(const abi::PlacedRun* runs, size_t n, abi::PlacedRun* out) {
  for (size_t i = 0; i < n; ++i) {
    size_t j = i;
    for (; j > 0 && out[j - 1].payload_off > runs[i].payload_off; --j) out[j] = out[j - 1];
    out[j] = runs[i];
  }
}

bool attrs_from_runs(uint32_t payload_len, const abi::PlacedRun* runs, size_t nruns, bool crc_ok,
                     RangeAttrs& out) {
  out.clear();
  const auto unusable = [&] {
    out.assign(1, RangeAttr{payload_len, false, crc_ok, 0, 0});
    return false;
  };
  if (nruns > abi::kMaxRunsPerCqe) return unusable();
  abi::PlacedRun sorted[abi::kMaxRunsPerCqe];
  sort_runs(runs, nruns, sorted);
  uint32_t at = 0;
  for (size_t i = 0; i < nruns; ++i) {
    const abi::PlacedRun& r = sorted[i];
    if (r.len == 0) continue;
    if (r.payload_off < at || uint32_t(r.payload_off) + r.len > payload_len) return unusable();
    if (r.payload_off > at) out.push_back({uint32_t(r.payload_off - at), false, crc_ok, 0, 0});
    out.push_back({r.len, true, crc_ok, r.io_tag, r.buf_off});
    at = uint32_t(r.payload_off) + r.len;
  }
  if (at < payload_len) out.push_back({payload_len - at, false, crc_ok, 0, 0});
  return true;
}

}  // namespace nic::host
