#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tb/common/output_path.hpp"

using namespace nic::tb;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("nicsim_test_output_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
  bool empty() const { return fs::is_empty(path); }
};

}  // namespace

TEST_CASE("output paths: a file that cannot be written is named before the run, and nothing is left behind",
          "[output]") {
  TempDir t;
  CHECK_NOTHROW(check_output_file("--report", (t.path / "r.json").string()));
  CHECK(t.empty());  // the probe is removed
  CHECK_THROWS_WITH(check_output_file("--vcd", (t.path / "missing" / "w.vcd").string()),
                    Catch::StartsWith("--vcd ") && Catch::Contains("no folder") && Catch::Contains("missing"));
  CHECK_THROWS_WITH(check_output_file("--report", t.path.string()), Catch::Contains("is a folder"));
  {
    std::ofstream(t.path / "kept.csv") << "old";
  }
  CHECK_NOTHROW(check_output_file("--csv", (t.path / "kept.csv").string()));
  std::ifstream in(t.path / "kept.csv");
  std::string text;
  in >> text;
  CHECK(text == "old");  // an existing file is not truncated by the check
  // A folder in a file system that allows none (procfs) cannot be created, not even by root.
  CHECK_THROWS_WITH(make_output_dir("--dump-buffers", "/proc/nicsim_no_such/bufs"),
                    Catch::StartsWith("--dump-buffers /proc/nicsim_no_such/bufs: cannot create the folder"));
}

TEST_CASE("output paths: an output folder is made with its parents", "[output]") {
  TempDir t;
  const fs::path dir = t.path / "a" / "b";
  make_output_dir("--out", dir.string());
  CHECK(fs::is_directory(dir));
  CHECK(fs::is_empty(dir));
  {
    std::ofstream(t.path / "file") << "x";
  }
  CHECK_THROWS_WITH(make_output_dir("--out", (t.path / "file").string()), Catch::StartsWith("--out "));
}
