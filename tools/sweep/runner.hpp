// Child processes: one run to its end, or many through a pool of at most N at once. Every
// child reads /dev/null and writes stdout and stderr to its own log.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace nic::sweep {

// The path of this executable, which sweeps run again as `nicsim replay` or `nicsim run`.
std::string self_exe();

struct Job {
  std::string program;  // looked up in PATH when it has no '/'
  std::vector<std::string> args;
  std::string log;
  std::string cwd;  // empty: this process's
};
// Runs `job` and returns its exit status as a shell reports it (128 + signal when killed).
int run_and_wait(const Job& job);

// Runs jobs 0..count-1, at most `parallel` at once, each made by `start(i)` just before it
// starts. `finished(i, exit_status, seconds)` is called as each ends, in the order they end;
// `tick(done, running)` at least every half second while any runs.
void run_pool(size_t count, unsigned parallel, const std::function<Job(size_t)>& start,
              const std::function<void(size_t, int, double)>& finished,
              const std::function<void(size_t, size_t)>& tick);

}  // namespace nic::sweep
