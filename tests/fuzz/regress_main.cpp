// Replays fuzz inputs without libFuzzer (any compiler): `fuzz_regress TARGET PATH...` feeds
// every regular file under each PATH (recursively) to that target's LLVMFuzzerTestOneInput.
// Each fuzz source is compiled here with LLVMFuzzerTestOneInput renamed to fuzz_<target>, so
// one executable holds them all. Used by ctest (label fuzz) to replay the seed corpus and the
// crash regressions with the normal build.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int fuzz_pdu_tracker(const uint8_t*, size_t);
extern "C" int fuzz_sgl(const uint8_t*, size_t);
extern "C" int fuzz_pcap(const uint8_t*, size_t);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  struct Target {
    const char* name;
    int (*fn)(const uint8_t*, size_t);
  } targets[] = {{"pdu_tracker", fuzz_pdu_tracker}, {"sgl", fuzz_sgl}, {"pcap", fuzz_pcap}};
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_regress {pdu_tracker|sgl|pcap} PATH...\n");
    return 2;
  }
  const Target* t = nullptr;
  for (const Target& x : targets)
    if (std::strcmp(x.name, argv[1]) == 0) t = &x;
  if (!t) {
    std::fprintf(stderr, "fuzz_regress: unknown target %s\n", argv[1]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p = argv[i];
    if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
    } else {
      std::fprintf(stderr, "fuzz_regress: no such file or directory: %s\n", argv[i]);
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s: %s (%zu bytes)\n", t->name, f.c_str(), bytes.size());
    // A copy of exactly the input's size, so reads past the end are caught by ASan builds.
    std::vector<uint8_t> buf(bytes.begin(), bytes.end());
    t->fn(buf.empty() ? nullptr : buf.data(), buf.size());
  }
  std::printf("fuzz_regress %s: %zu inputs replayed\n", t->name, files.size());
  return 0;
}
