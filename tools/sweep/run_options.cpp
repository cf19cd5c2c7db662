#include "tools/sweep/run_options.hpp"

#include <cctype>
#include <stdexcept>

namespace nic::sweep {

namespace {

// The sweep sets these per point; one given in --run would be overridden, or every point would
// write the same file.
constexpr const char* kOwned[] = {"--config", "--set", "--report", "--csv", "--pcap-out"};

}  // namespace

std::vector<std::string> run_words(const std::string& options) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : options) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (std::isspace((unsigned char)c)) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote) throw std::invalid_argument("--run '" + options + "': unclosed quote");
  if (in_word) words.push_back(word);
  for (const auto& w : words)
    for (const char* owned : kOwned)
      if (w == owned || w.rfind(std::string(owned) + "=", 0) == 0)
        throw std::invalid_argument("--run '" + options + "': " + owned + " is set by the sweep for each point");
  return words;
}

}  // namespace nic::sweep
