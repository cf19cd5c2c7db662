#include "tools/sweep/runner.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace nic::sweep {

namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn(const Job& job) {
  std::vector<std::string> all{job.program};
  all.insert(all.end(), job.args.begin(), job.args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The child must not inherit (and later repeat) buffered output.
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The pool waits with SIGCHLD blocked; the child must not inherit that.
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &chld, nullptr);
    const int fd = open(job.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = open("/dev/null", O_RDONLY);
    if (fd < 0 || null < 0 || (!job.cwd.empty() && chdir(job.cwd.c_str()) != 0)) _exit(127);
    dup2(null, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int exit_status(int wstatus) { return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus); }

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

std::string self_exe() {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the nicsim executable: " + ec.message());
  return p.string();
}

int run_and_wait(const Job& job) {
  const pid_t pid = spawn(job);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return exit_status(st);
}

void run_pool(size_t count, unsigned parallel, const std::function<Job(size_t)>& start,
              const std::function<void(size_t, int, double)>& finished,
              const std::function<void(size_t, size_t)>& tick) {
  struct Running {
    size_t index;
    Clock::time_point start;
  };
  std::map<pid_t, Running> running;
  // SIGCHLD stays blocked so that sigtimedwait wakes on a child's exit, and the caller still
  // ticks while every job is busy.
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  size_t next = 0, done = 0;
  while (done < count) {
    while (running.size() < parallel && next < count) {
      running[spawn(start(next))] = {next, Clock::now()};
      ++next;
    }
    tick(done, running.size());
    int st = 0;
    const pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) {
      const timespec half_second{0, 500'000'000};
      sigtimedwait(&chld, nullptr, &half_second);
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    ++done;
    finished(it->second.index, exit_status(st), seconds_since(it->second.start));
    running.erase(it);
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace nic::sweep

