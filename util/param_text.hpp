// Parameter values as a command line writes them (`--set key=value`, `--grid key=v1,v2`): one
// parser, so every option that takes a config value takes the same syntax. Plain C++.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace nic::param {

// What a config key holds; decides which value syntax it accepts.
enum class Kind { integer, real, boolean, text };

// "64K" -> 65536, "1.5M" -> 1572864 (binary K/M/G, either case, or KiB/MiB/GiB; a plain
// number may end in B). Throws std::invalid_argument unless it comes to a whole number.
uint64_t parse_size(const std::string& text);
// A finite number written in full, or nullopt.
std::optional<double> as_number(const std::string& text);
// Shortest text that reads back as the same value to 12 significant digits, so that a range
// 0.1:0.5:0.1 gives 0.3 and not 0.30000000000000004.
std::string format_real(double v);
// `text` as the canonical value of a `kind` key: integers with K/M/G expanded, reals
// normalised, booleans true/false, text non-empty. Throws std::invalid_argument naming `key`.
std::string canonical(const std::string& key, Kind kind, const std::string& text);

}  // namespace nic::param
