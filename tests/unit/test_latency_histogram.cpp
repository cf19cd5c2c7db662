#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "hw/common/latency_histogram.hpp"

TEST_CASE("latency histogram: percentiles within 1/32 of the exact order statistic", "[stats]") {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<> d(8.0, 1.5);  // ns-scale latencies with a long tail
  nic::hw::LatencyHistogram h;
  std::vector<uint64_t> v;
  for (int i = 0; i < 200000; ++i) {
    v.push_back(uint64_t(d(rng)));
    h.add(v.back());
  }
  std::sort(v.begin(), v.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = double(v[size_t(q * double(v.size())) - 1]);
    const double got = double(h.percentile(q));
    INFO("q " << q << " exact " << exact << " got " << got);
    CHECK(got >= exact);
    CHECK(got <= exact * (1 + 1.0 / 32) + 1);
  }
  CHECK(h.max() == v.back());
  CHECK(h.percentile(1.0) == v.back());
  CHECK(h.count() == v.size());
}

TEST_CASE("latency histogram: small values are exact and an empty one reports zero", "[stats]") {
  nic::hw::LatencyHistogram h;
  CHECK(h.percentile(0.5) == 0);
  for (uint64_t x : {3, 1, 2, 5, 4}) h.add(x);
  CHECK(h.percentile(0.5) == 3);
  CHECK(h.percentile(1.0) == 5);
  CHECK(h.min() == 1);
}
