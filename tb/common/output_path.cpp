#include "tb/common/output_path.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace nic::tb {

namespace fs = std::filesystem;

namespace {

std::invalid_argument bad(const std::string& option, const std::string& path, const std::string& why) {
  return std::invalid_argument(option + " " + path + ": " + why);
}

// Permission bits do not stop root, so writability is tried, not read from the mode.
void probe_dir(const std::string& option, const std::string& path, const fs::path& dir) {
  std::string name = (dir / ".nicsim-probe-XXXXXX").string();
  const int fd = mkstemp(name.data());
  if (fd < 0) throw bad(option, path, "cannot create files in " + dir.string() + ": " + std::strerror(errno));
  close(fd);
  unlink(name.c_str());
}

}  // namespace

void check_output_file(const std::string& option, const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::is_directory(st)) throw bad(option, path, "is a folder, not a file");
  if (fs::exists(st)) {
    const int fd = open(path.c_str(), O_WRONLY);
    if (fd < 0) throw bad(option, path, std::strerror(errno));
    close(fd);
    return;
  }
  const fs::path parent = fs::path(path).parent_path();
  const fs::path dir = parent.empty() ? fs::path(".") : parent;
  if (!fs::is_directory(dir, ec)) throw bad(option, path, "no folder " + dir.string());
  probe_dir(option, path, dir);
}

void make_output_dir(const std::string& option, const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw bad(option, path, "cannot create the folder: " + ec.message());
  if (!fs::is_directory(path, ec)) throw bad(option, path, "is not a folder");
  probe_dir(option, path, path);
}

}  // namespace nic::tb
