// A closed-loop workload of a sweep, `--run "OPTIONS"`: the `nicsim run` options as words, split
// as a shell would (quotes keep spaces in a word), without those the sweep gives every point
// itself.
#pragma once
#include <string>
#include <vector>

namespace nic::sweep {

// Throws std::invalid_argument on an unclosed quote or an option the sweep owns (--config,
// --set, --report, --csv, --pcap-out).
std::vector<std::string> run_words(const std::string& options);

}  // namespace nic::sweep
