// Progress of a sweep on stderr: a bar redrawn in place (done, running, elapsed, ETA) when
// stderr is a terminal; otherwise, for logs and pipes, one line per finished point.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace nic::sweep {

class Progress {
 public:
  explicit Progress(size_t total);
  void draw(size_t done, size_t running);
  // `label` names the point; on a terminal only a point not "ok" leaves a line.
  void finished(size_t done, const std::string& label, const std::string& status, double secs);
  // Ends the bar's line.
  void end();

 private:
  using Clock = std::chrono::steady_clock;
  size_t total_;
  bool tty_;
  Clock::time_point start_;
};

}  // namespace nic::sweep
