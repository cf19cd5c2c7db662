#include "tb/common/timeline.hpp"

#include <algorithm>
#include <cstdio>
#include <ostream>
#include <stdexcept>

namespace nic::tb {

namespace {

// Picoseconds as microseconds, exact, without trailing zeros: "10", "12.5", "0.000001".
std::string us_text(uint64_t ps) {
  std::string s = std::to_string(ps / 1000000);
  if (const uint64_t frac = ps % 1000000) {
    char b[8];
    std::snprintf(b, sizeof b, "%06llu", (unsigned long long)frac);
    std::string f = b;
    f.erase(f.find_last_not_of('0') + 1);
    s += "." + f;
  }
  return s;
}

std::string real(const char* format, double v) {
  char b[48];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

// Nearest rank: the smallest latency with at least fraction `pct` % of the window's at or below it.
uint64_t percentile(std::vector<uint64_t>& v, unsigned pct) {
  const size_t rank = (v.size() * pct + 99) / 100;
  auto it = v.begin() + std::ptrdiff_t(rank ? rank - 1 : 0);
  std::nth_element(v.begin(), it, v.end());
  return *it;
}

}  // namespace

Timeline::Timeline(uint64_t window_ps, std::vector<std::string> fifos, std::vector<std::string> drop_reasons,
                   std::vector<std::string> caches, Extra extra)
    : window_ps_(window_ps), fifos_(std::move(fifos)), drops_(std::move(drop_reasons)),
      caches_(std::move(caches)), counts_(std::move(extra.counts)), n_fifos_(fifos_.size()) {
  if (!window_ps_) throw std::invalid_argument("timeline: the window must be longer than 0");
  fifos_.insert(fifos_.end(), extra.gauges.begin(), extra.gauges.end());
  now_.resize(fifos_.size());
  columns_ = {"start_us",         "end_us",          "frames",           "offered_bytes",
              "offered_gbps",     "host_placed_bytes", "host_ring_bytes", "host_cqe_bytes",
              "host_placed_gbps", "host_ring_gbps",  "host_cqe_gbps"};
  const auto level_columns = [this](size_t from, size_t to) {
    for (size_t f = from; f < to; ++f) {
      columns_.push_back(fifos_[f] + "_max");
      columns_.push_back(fifos_[f] + "_mean");
    }
  };
  level_columns(0, n_fifos_);
  for (const auto& d : drops_) columns_.push_back("drop_" + d);
  for (const auto& c : caches_)
    for (const char* col : {"_lookups", "_misses", "_hit_rate"}) columns_.push_back(c + col);
  for (const char* c : {"pcie_up_busy", "pcie_down_busy", "reads", "read_p50_us", "read_p99_us"})
    columns_.push_back(c);
  level_columns(n_fifos_, fifos_.size());
  columns_.insert(columns_.end(), counts_.begin(), counts_.end());
  window_of(0);  // a run that ends at time 0 still has its window
}

size_t Timeline::window_of(uint64_t t_ps) {
  const size_t k = size_t(t_ps / window_ps_);
  if (k >= rows_.size()) {
    rows_.resize(k + 1);
    drop_counts_.resize((k + 1) * drops_.size());
    cells_.resize((k + 1) * fifos_.size());
    cache_cells_.resize((k + 1) * caches_.size());
    count_cells_.resize((k + 1) * counts_.size());
  }
  return k;
}

void Timeline::add(Sum what, uint64_t t_ps, uint64_t n) { rows_[window_of(t_ps)].sum[what] += n; }

void Timeline::spread(Sum what, uint64_t from_ps, uint64_t to_ps, uint64_t n) {
  if (to_ps <= from_ps) return add(what, from_ps, n);
  const uint64_t span = to_ps - from_ps;
  // Whole units up to x: rounding the running total, not each part, keeps the sum exact.
  const auto upto = [&](uint64_t x) { return uint64_t((unsigned __int128)n * (x - from_ps) / span); };
  const size_t last = window_of(to_ps - 1);
  for (size_t k = size_t(from_ps / window_ps_); k <= last; ++k) {
    const uint64_t lo = std::max(from_ps, k * window_ps_);
    const uint64_t hi = std::min(to_ps, (k + 1) * window_ps_);
    rows_[k].sum[what] += upto(hi) - upto(lo);
  }
}

void Timeline::drop(std::string_view reason, uint64_t t_ps) {
  const auto it = std::find(drops_.begin(), drops_.end(), reason);
  if (it == drops_.end()) throw std::logic_error("timeline: unknown drop reason " + std::string(reason));
  ++drop_counts_[window_of(t_ps) * drops_.size() + size_t(it - drops_.begin())];
}

void Timeline::cache_access(size_t cache, uint64_t t_ps, Access a) {
  const size_t k = window_of(t_ps);
  CacheCell& c = cache_cells_[k * caches_.size() + cache];
  ++c.lookups;
  c.hits += a == Access::Hit;
  c.misses += a == Access::Miss;
}

void Timeline::hold(size_t fifo, uint64_t to_ps) {
  FifoNow& f = now_[fifo];
  if (to_ps <= f.since_ps) return;
  const size_t last = window_of(to_ps - 1);
  for (size_t k = size_t(f.since_ps / window_ps_); k <= last; ++k) {
    const uint64_t lo = std::max(f.since_ps, k * window_ps_);
    const uint64_t hi = std::min(to_ps, (k + 1) * window_ps_);
    FifoCell& c = cell(k, fifo);
    c.area += uint64_t(f.level) * (hi - lo);
    c.max = std::max(c.max, f.level);
  }
  f.since_ps = to_ps;
}

void Timeline::level(size_t fifo, uint64_t t_ps, uint32_t level) {
  if (t_ps < now_[fifo].since_ps)
    throw std::logic_error("timeline: level of " + fifos_[fifo] + " out of time order");
  hold(fifo, t_ps);
  now_[fifo].level = level;
  // Counted even if it lasts no time, as the report's high watermark counts it.
  FifoCell& c = cell(window_of(t_ps), fifo);
  c.max = std::max(c.max, level);
}

void Timeline::read_done(uint64_t t_ps, uint64_t latency_ps) {
  const size_t k = window_of(t_ps);
  if (!latencies_.empty() && k < reads_window_)
    throw std::logic_error("timeline: reads out of time order");
  if (k != reads_window_) close_reads();
  reads_window_ = k;
  latencies_.push_back(latency_ps);
}

void Timeline::close_reads() {
  if (latencies_.empty()) return;
  Row& r = rows_[reads_window_];
  r.reads = latencies_.size();
  r.p50_ps = percentile(latencies_, 50);
  r.p99_ps = percentile(latencies_, 99);
  latencies_.clear();
}

void Timeline::finish(uint64_t end_ps) {
  window_of(end_ps);
  const uint64_t rows_end = rows_.size() * window_ps_;
  for (size_t f = 0; f < fifos_.size(); ++f) hold(f, rows_end);
  close_reads();
}

void Timeline::write_csv(std::ostream& out) const {
  for (size_t i = 0; i < columns_.size(); ++i) out << (i ? "," : "") << columns_[i];
  out << '\n';
  const double w = double(window_ps_);
  const auto gbps = [&](uint64_t bytes) { return real("%.3f", double(bytes) * 8e3 / w); };
  for (size_t k = 0; k < rows_.size(); ++k) {
    const Row& r = rows_[k];
    out << us_text(k * window_ps_) << ',' << us_text((k + 1) * window_ps_) << ',' << r.sum[kFrames]
        << ',' << r.sum[kOfferedBytes] << ',' << gbps(r.sum[kOfferedBytes]);
    for (Sum s : {kPlacedBytes, kRingBytes, kCqeBytes}) out << ',' << r.sum[s];
    for (Sum s : {kPlacedBytes, kRingBytes, kCqeBytes}) out << ',' << gbps(r.sum[s]);
    const auto levels = [&](size_t from, size_t to) {
      for (size_t f = from; f < to; ++f) {
        const FifoCell& c = cells_[k * fifos_.size() + f];
        out << ',' << c.max << ',' << real("%.3f", double(c.area) / w);
      }
    };
    levels(0, n_fifos_);
    for (size_t d = 0; d < drops_.size(); ++d) out << ',' << drop_counts_[k * drops_.size() + d];
    for (size_t c = 0; c < caches_.size(); ++c) {
      const CacheCell& x = cache_cells_[k * caches_.size() + c];
      out << ',' << x.lookups << ',' << x.misses << ',';
      if (x.lookups) out << real("%.4f", double(x.hits) / double(x.lookups));  // else empty: no rate
    }
    out << ',' << real("%.4f", double(r.sum[kPcieUpPs]) / w) << ','
        << real("%.4f", double(r.sum[kPcieDownPs]) / w) << ',' << r.reads << ',';
    // No reads, no latency: an empty cell, which plotting tools read as missing.
    if (r.reads) out << real("%.3f", double(r.p50_ps) / 1e6) << ',' << real("%.3f", double(r.p99_ps) / 1e6);
    else out << ',';
    levels(n_fifos_, fifos_.size());
    for (size_t c = 0; c < counts_.size(); ++c) out << ',' << count_cells_[k * counts_.size() + c];
    out << '\n';
  }
}

}  // namespace nic::tb
