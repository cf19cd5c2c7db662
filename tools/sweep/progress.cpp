#include "tools/sweep/progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace nic::sweep {

namespace {

std::string duration(double s) {
  char b[32];
  if (s < 60) std::snprintf(b, sizeof b, "%.0fs", s);
  else if (s < 3600) std::snprintf(b, sizeof b, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(b, sizeof b, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  return b;
}

}  // namespace

Progress::Progress(size_t total) : total_(total), tty_(isatty(STDERR_FILENO)), start_(Clock::now()) {}

void Progress::draw(size_t done, size_t running) {
  if (!tty_) return;
  const double el = std::chrono::duration<double>(Clock::now() - start_).count();
  constexpr size_t width = 30;
  const size_t fill = total_ ? done * width / total_ : width;
  std::string bar = std::string(fill, '#') + std::string(width - fill, '-');
  std::fprintf(stderr, "\r[%s] %zu/%zu done, %zu running, %s elapsed", bar.c_str(), done, total_, running,
               duration(el).c_str());
  if (done) std::fprintf(stderr, ", ETA %s", duration(el / double(done) * double(total_ - done)).c_str());
  std::fprintf(stderr, "\x1b[K");
  std::fflush(stderr);
}

void Progress::finished(size_t done, const std::string& label, const std::string& status, double secs) {
  if (tty_ && status == "ok") return;
  std::fprintf(stderr, "%s[%zu/%zu] %s: %s (%.1fs)\n", tty_ ? "\r\x1b[K" : "", done, total_, label.c_str(),
               status.c_str(), secs);
}

void Progress::end() {
  if (tty_) std::fprintf(stderr, "\n");
}

}  // namespace nic::sweep
