// The minimum-size finder's search, apart from what a probe runs: over the candidates lo,
// lo+step, ..., capped at hi, for the smallest that passes. `hi` is judged first (is there an
// answer at all?). How the rest are chosen depends on whether passing is monotonic in the value:
// - monotonic (drops of a replayed trace: a FIFO in front of a slower consumer): bisection;
// - otherwise (a closed loop, where TCP's reaction to one drop can cost more than a smaller
//   buffer's several, and any throughput or latency target), the answer is the smallest value
//   from which every candidate up to hi that was judged passes:
//   - up to kScanMax candidates: a scan down from hi, `parallel` at a time, that stops at the
//     first failure; it judges every candidate above the answer;
//   - more: bisection, then the kVerifySteps candidates above its answer; one that fails moves
//     the search above it and bisection goes on from there.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nic::sweep {

inline constexpr size_t kScanMax = 32;
inline constexpr size_t kVerifySteps = 3;

enum class Method { bisection, scan, verified_bisection };
// The method find_min takes over these candidates; throws std::invalid_argument unless lo <= hi
// and step > 0.
Method search_method(uint64_t lo, uint64_t hi, uint64_t step, bool monotonic);
// "bisection", "scan down from hi", "bisection verified 3 steps up".
std::string method_text(Method m);

struct Probe {
  uint64_t value;
  bool pass;
};
struct MinResult {
  bool found = false;  // false: even `hi` fails
  uint64_t value = 0;  // the answer
  std::vector<Probe> probes;  // in the order judged
};
// Judges values that may run at once; returns pass or fail for each, in order.
using Judge = std::function<std::vector<bool>(const std::vector<uint64_t>& values)>;
// `parallel` bounds a batch of the scan.
MinResult find_min(uint64_t lo, uint64_t hi, uint64_t step, bool monotonic, unsigned parallel, const Judge& judge);
// Calls `fn` with every value find_min may probe, in increasing order.
void for_each_candidate(uint64_t lo, uint64_t hi, uint64_t step, const std::function<void(uint64_t)>& fn);

}  // namespace nic::sweep
