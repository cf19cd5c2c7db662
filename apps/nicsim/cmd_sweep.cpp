// `nicsim sweep`: a grid of configs x traces, one `nicsim replay` process per point (SystemC
// elaborates once per process), results as CSV and gnuplot PNGs; the minimum-size finder; job
// lists for other machines and the merge of their results. The logic is in tools/sweep.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "apps/nicsim/commands.hpp"
#include "tb/config/sim_config.hpp"
#include "tb/common/output_path.hpp"
#include "tools/sweep/csv.hpp"
#include "tools/sweep/find_min.hpp"
#include "tools/sweep/grid.hpp"
#include "tools/sweep/jobs.hpp"
#include "tools/sweep/metric_path.hpp"
#include "tools/sweep/outcome.hpp"
#include "tools/sweep/plan.hpp"
#include "tools/sweep/plot.hpp"
#include "tools/sweep/results.hpp"
#include "tools/sweep/sweep_dir.hpp"

namespace nicsim {

namespace {

namespace fs = std::filesystem;
namespace sw = nic::sweep;
using Clock = std::chrono::steady_clock;

struct SweepArgs {
  std::vector<std::string> grid, traces, sets, metrics, plots, merge;
  std::string trace_list, config, out = "sweep", emit_dir;
  bool line_rate = false;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  std::string find_key, lo, hi, step = "1", drop_metric;
  double budget = 0;
} g_args;

// Bad input: the message, exit status 2.
struct Usage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool is_config_key(const std::string& key) {
  try {
    nic::kind_of(key);
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

// The sweep's --config and --set, checked the way `nicsim config` checks them.
nic::SimConfig base_config() {
  nic::SimConfig cfg;
  if (!g_args.config.empty()) nic::load_config_file(cfg, g_args.config);
  for (const auto& s : g_args.sets) nic::apply_assignment(cfg, s);
  nic::validate(cfg);
  return cfg;
}

// Every point must make a valid config before the first replay starts.
void check_point(const nic::SimConfig& base, const sw::Point& p) {
  nic::SimConfig cfg = base;
  try {
    for (const auto& [k, v] : p.set) nic::set_param(cfg, k, v);
    nic::validate(cfg);
  } catch (const std::invalid_argument& e) {
    std::string where;
    for (const auto& [k, v] : p.set) where += " " + k + "=" + v;
    throw std::invalid_argument(std::string(e.what()) + " (at" + where + ")");
  }
}

std::vector<std::string> all_traces() {
  std::vector<std::string> traces = g_args.traces;
  if (!g_args.trace_list.empty()) {
    std::ifstream in(g_args.trace_list);
    const fs::path base = fs::path(g_args.trace_list).parent_path();
    for (std::string line; std::getline(in, line);) {
      line.erase(0, line.find_first_not_of(" \t"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (line.empty() || line[0] == '#') continue;
      // Relative entries are relative to the list, so the list can travel with its traces.
      const fs::path p = fs::path(line).is_absolute() ? fs::path(line) : base / line;
      if (!fs::is_regular_file(p)) throw Usage(g_args.trace_list + ": no trace file " + p.string());
      traces.push_back(p.string());
    }
  }
  if (traces.empty()) throw Usage("give at least one --trace or a --trace-list");
  return traces;
}

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the nicsim executable: " + ec.message());
  return p.string();
}

// Starts `program args...` with stdout and stderr to `log` (and in `cwd` when given).
pid_t spawn(const std::string& program, const std::vector<std::string>& args, const std::string& log,
            const std::string& cwd = "") {
  std::vector<std::string> all{program};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The child must not inherit (and later repeat) buffered output.
  std::cout.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The parent waits with SIGCHLD blocked; the child must not inherit that.
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &chld, nullptr);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = open("/dev/null", O_RDONLY);
    if (fd < 0 || null < 0 || (!cwd.empty() && chdir(cwd.c_str()) != 0)) _exit(127);
    dup2(null, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int exit_code(int wstatus) { return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus); }

int run_and_wait(const std::string& program, const std::vector<std::string>& args, const std::string& log,
                 const std::string& cwd = "") {
  const pid_t pid = spawn(program, args, log, cwd);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return exit_code(st);
}

std::string duration(double s) {
  char b[32];
  if (s < 60) std::snprintf(b, sizeof b, "%.0fs", s);
  else if (s < 3600) std::snprintf(b, sizeof b, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(b, sizeof b, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  return b;
}

std::string describe(const sw::Point& p) {
  std::string s = p.id + " " + fs::path(p.trace).stem().string();
  for (const auto& [k, v] : p.set) s += " " + k + "=" + v;
  return s;
}

// A bar redrawn in place when stderr is a terminal; otherwise one line per finished point.
class Progress {
 public:
  explicit Progress(size_t total) : total_(total), tty_(isatty(STDERR_FILENO)), start_(Clock::now()) {}
  void draw(size_t done, size_t running) {
    if (!tty_) return;
    const double el = elapsed();
    constexpr size_t width = 30;
    const size_t fill = total_ ? done * width / total_ : width;
    std::string bar = std::string(fill, '#') + std::string(width - fill, '-');
    std::fprintf(stderr, "\r[%s] %zu/%zu done, %zu running, %s elapsed", bar.c_str(), done, total_,
                 running, duration(el).c_str());
    if (done) std::fprintf(stderr, ", ETA %s", duration(el / double(done) * double(total_ - done)).c_str());
    std::fprintf(stderr, "\x1b[K");
    std::fflush(stderr);
  }
  void finished(size_t done, const sw::Point& p, const std::string& status, double secs) {
    // On a terminal only failures leave a line; the bar shows the rest.
    if (tty_ && status == "ok") return;
    std::fprintf(stderr, "%s[%zu/%zu] %s: %s (%.1fs)\n", tty_ ? "\r\x1b[K" : "", done, total_,
                 describe(p).c_str(), status.c_str(), secs);
  }
  void end() {
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  size_t total_;
  bool tty_;
  Clock::time_point start_;
};

// Runs every point, at most `jobs` at once; returns their outcomes in plan order.
std::vector<std::optional<sw::Outcome>> run_points(const sw::Plan& plan, const fs::path& dir, unsigned jobs) {
  const std::string exe = self_exe();
  const size_t n = plan.points.size();
  std::vector<std::optional<sw::Outcome>> outcomes(n);
  struct Running {
    size_t index;
    Clock::time_point start;
  };
  std::map<pid_t, Running> running;
  // SIGCHLD stays blocked so that sigtimedwait wakes on a child's exit, and the bar still
  // ticks while every replay is busy.
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  Progress progress(n);
  size_t next = 0, done = 0;
  while (done < n) {
    while (running.size() < jobs && next < n) {
      const sw::Point& p = plan.points[next];
      const fs::path report = dir / sw::kPointsDir / (p.id + ".json");
      fs::remove(report);  // a stale report must not pass for this run's
      running[spawn(exe, sw::replay_args(p, plan.line_rate, dir.string()),
                    (dir / sw::kPointsDir / (p.id + ".log")).string())] = {next, Clock::now()};
      ++next;
    }
    progress.draw(done, running.size());
    int st = 0;
    const pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) {
      const timespec tick{0, 500'000'000};
      sigtimedwait(&chld, nullptr, &tick);
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const sw::Point& p = plan.points[it->second.index];
    auto& o = outcomes[it->second.index];
    o = sw::load_outcome((dir / sw::kPointsDir / (p.id + ".json")).string(), exit_code(st));
    ++done;
    progress.finished(done, p, sw::status_of(*o),
                      std::chrono::duration<double>(Clock::now() - it->second.start).count());
    running.erase(it);
  }
  progress.draw(done, 0);
  progress.end();
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return outcomes;
}

// The PNG terminal this gnuplot offers, or empty when there is no gnuplot or no PNG.
std::string gnuplot_terminal() {
  FILE* p = popen("gnuplot -e 'set terminal' 2>&1", "r");
  if (!p) return "";
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int st = pclose(p);
  if (st != 0) return "";
  if (out.find("pngcairo") != std::string::npos) return "pngcairo";
  return out.find(" png ") != std::string::npos ? "png" : "";
}

// Writes results.csv and one PNG per plot into `out`; returns false when the CSV failed.
bool write_results(const sw::Table& t, const fs::path& out, std::vector<std::string> plot_specs) {
  const fs::path csv = out / sw::kResultsFile;
  {
    std::ofstream f(csv);
    sw::write_csv(f, t);
    if (!f) {
      std::cerr << "nicsim sweep: cannot write " << csv.string() << "\n";
      return false;
    }
  }
  std::cout << "results: " << csv.string() << " (" << t.rows.size() << " rows)\n";
  if (t.rows.empty()) {
    std::cout << "plots: none (no results yet)\n";
    return true;
  }
  std::vector<std::string> config_columns;
  for (const auto& c : t.columns)
    if (is_config_key(c)) config_columns.push_back(c);
  if (plot_specs.empty()) {
    if (config_columns.empty()) {
      std::cout << "plots: none (no swept config key to plot against)\n";
      return true;
    }
    plot_specs.push_back(config_columns[0] +
                         ":summary.achieved_gbps,counters.drop_mac_fifo_full,counters.drop_rx_ring_full");
  }
  const std::string terminal = gnuplot_terminal();
  if (terminal.empty()) {
    std::cout << "plots: none (gnuplot with a PNG terminal not found; install gnuplot-nox)\n";
    return true;
  }
  const fs::path dir = out / "plots";
  fs::create_directories(dir);
  for (const auto& spec_text : plot_specs) {
    const sw::PlotSpec spec = sw::parse_plot(spec_text);
    sw::PlotFiles files;
    try {
      files = sw::make_plot(t, spec, config_columns, terminal);
    } catch (const std::invalid_argument& e) {
      std::cerr << "nicsim sweep: " << e.what() << "\n";
      continue;
    }
    for (const auto& s : files.skipped) std::cout << "plots: " << s << " has no numbers, left out\n";
    if (files.script.empty()) continue;
    const std::string stem = sw::plot_stem(spec);
    std::ofstream(dir / (stem + ".dat")) << files.data;
    std::ofstream(dir / (stem + ".gp")) << files.script;
    const fs::path log = dir / (stem + ".log");
    if (run_and_wait("gnuplot", {stem + ".gp"}, log.string(), dir.string()) == 0) {
      fs::remove(log);
      std::cout << "plot: " << (dir / (stem + ".png")).string() << "\n";
    } else {
      std::cerr << "nicsim sweep: gnuplot failed on " << (dir / (stem + ".gp")).string() << ", see "
                << log.string() << "\n";
    }
  }
  return true;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

// Checks the command line, writes the plan and the base config into `dir` (given by `option`).
sw::Plan prepare(const fs::path& dir, const char* option) {
  std::vector<sw::Axis> axes;
  sw::Plan plan;
  for (const auto& g : g_args.grid) {
    axes.push_back(sw::parse_axis(g, [](const std::string& k) { return nic::kind_of(k); }));
    if (std::find(plan.grid.begin(), plan.grid.end(), axes.back().key) != plan.grid.end())
      throw std::invalid_argument(axes.back().key + ": swept by two --grid options");
    plan.grid.push_back(axes.back().key);
  }
  for (const auto& m : g_args.metrics) sw::check_path(m);
  for (const auto& p : g_args.plots) sw::parse_plot(p);
  const nic::SimConfig base = base_config();
  plan.points = sw::expand(axes, all_traces());
  plan.line_rate = g_args.line_rate;
  plan.metrics = g_args.metrics;
  plan.plots = g_args.plots;
  for (const auto& p : plan.points) check_point(base, p);
  nic::tb::make_output_dir(option, dir.string());
  fs::create_directories(dir / sw::kPointsDir);
  write_file(dir / sw::kBaseConfigFile, nic::config_to_json(base) + "\n");
  write_file(dir / sw::kPlanFile, sw::plan_to_json(plan).dump(2) + "\n");
  return plan;
}

int run_grid() {
  const fs::path dir = fs::absolute(g_args.out);
  const sw::Plan plan = prepare(dir, "--out");
  std::cout << "sweep: " << plan.points.size() << " points, " << g_args.jobs << " at a time, into "
            << dir.string() << "\n";
  const auto outcomes = run_points(plan, dir, g_args.jobs);
  std::map<std::string, size_t> by_status;
  for (const auto& o : outcomes) ++by_status[sw::status_of(*o)];
  std::cout << "points: ok " << by_status["ok"] << ", mismatch " << by_status["mismatch"] << ", error "
            << by_status["error"] << " (logs in " << (dir / sw::kPointsDir).string() << ")\n";
  if (!write_results(sw::results_table(plan, outcomes), dir, plan.plots)) return 1;
  // A mismatch is a result (drops lose reads); a replay that could not run is not.
  return by_status["error"] ? 1 : 0;
}

int emit_jobs() {
  const fs::path dir = fs::absolute(g_args.emit_dir);
  const sw::Plan plan = prepare(dir, "--emit-jobs");
  write_file(dir / "jobs.txt", sw::jobs_file(plan, dir.string(), self_exe()));
  write_file(dir / "slurm.sh", sw::slurm_script(plan.points.size(), dir.string()));
  fs::permissions(dir / "slurm.sh", fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  std::cout << plan.points.size() << " jobs in " << (dir / "jobs.txt").string() << "\n"
            << "run them with:  parallel < " << sw::shell_quote((dir / "jobs.txt").string()) << "\n"
            << "or on Slurm:    sbatch " << sw::shell_quote((dir / "slurm.sh").string()) << "\n"
            << "then:           nicsim sweep --merge " << sw::shell_quote(dir.string()) << " --out OUT\n";
  return 0;
}

int merge() {
  std::vector<sw::Table> tables;
  std::vector<std::string> plots = g_args.plots;
  size_t missing = 0;
  for (const auto& in : g_args.merge) {
    if (fs::is_directory(in)) {
      std::ifstream f(fs::path(in) / sw::kPlanFile);
      if (!f) throw Usage(in + ": no " + sw::kPlanFile + " (not a sweep directory)");
      sw::Plan plan;
      try {
        plan = sw::plan_from_json(nlohmann::json::parse(f));
      } catch (const nlohmann::json::exception& e) {
        throw Usage(in + "/" + sw::kPlanFile + ": " + e.what());
      }
      std::vector<std::optional<sw::Outcome>> outcomes;
      for (const auto& p : plan.points) {
        const fs::path report = fs::path(in) / sw::kPointsDir / (p.id + ".json");
        if (fs::exists(report)) {
          outcomes.push_back(sw::load_outcome(report.string()));
        } else {
          outcomes.emplace_back();
          ++missing;
        }
      }
      const std::string prefix = g_args.merge.size() > 1 ? fs::path(in).lexically_normal().filename().string() + "/" : "";
      tables.push_back(sw::results_table(plan, outcomes, prefix));
      if (g_args.plots.empty())
        for (const auto& p : plan.plots)
          if (std::find(plots.begin(), plots.end(), p) == plots.end()) plots.push_back(p);
    } else {
      std::ifstream f(in);
      if (!f) throw Usage(in + ": neither a sweep directory nor a readable CSV");
      tables.push_back(sw::read_csv(f));
    }
  }
  const sw::Table t = sw::merge_tables(tables);
  if (missing) std::cout << "points without a report yet (left out): " << missing << "\n";
  const fs::path out = fs::absolute(g_args.out);
  nic::tb::make_output_dir("--out", out.string());
  return write_results(t, out, plots) ? 0 : 1;
}

std::string default_drop_metric(const std::string& key) {
  // Too small a host ring drops there; every on-chip buffer backs up into the MAC FIFO.
  return key == "placement.rx_ring_bytes" ? "counters.drop_rx_ring_full" : "counters.drop_mac_fifo_full";
}

int find_min() {
  const std::string& key = g_args.find_key;
  if (nic::kind_of(key) != sw::Kind::integer) throw Usage(key + ": --find-min needs an integer key");
  if (g_args.lo.empty() || g_args.hi.empty()) throw Usage("--find-min needs --lo and --hi");
  const std::vector<std::string> traces = all_traces();
  if (traces.size() != 1) throw Usage("--find-min takes exactly one trace");
  const std::string metric = g_args.drop_metric.empty() ? default_drop_metric(key) : g_args.drop_metric;
  sw::check_path(metric);
  const uint64_t lo = nic::param::parse_size(g_args.lo), hi = nic::param::parse_size(g_args.hi), step = nic::param::parse_size(g_args.step);
  if (step == 0 || lo > hi) throw Usage("--find-min needs --lo <= --hi and --step > 0");
  const nic::SimConfig base = base_config();
  const auto point = [&](uint64_t v) {
    return sw::Point{"min-" + std::to_string(v), traces[0], {{key, std::to_string(v)}}};
  };
  // Every value the bisection may probe (lo + k*step, capped at hi), before the first probe:
  // a range can hold values that break a rule between parameters (a power of two, a multiple).
  for (uint64_t v = lo; v < hi; v += step) check_point(base, point(v));
  check_point(base, point(hi));

  const fs::path dir = fs::absolute(g_args.out);
  nic::tb::make_output_dir("--out", dir.string());
  fs::create_directories(dir / sw::kPointsDir);
  write_file(dir / sw::kBaseConfigFile, nic::config_to_json(base) + "\n");
  const std::string exe = self_exe();
  std::map<uint64_t, sw::Outcome> outcomes;
  std::cout << "find-min: smallest " << key << " in [" << lo << ", " << hi << "] step " << step
            << " with " << metric << " <= " << g_args.budget << " on " << traces[0] << "\n";
  const auto measure = [&](uint64_t v) {
    const sw::Point p = point(v);
    const fs::path report = dir / sw::kPointsDir / (p.id + ".json");
    fs::remove(report);
    const auto t0 = Clock::now();
    const int code = run_and_wait(exe, sw::replay_args(p, g_args.line_rate, dir.string()),
                                  (dir / sw::kPointsDir / (p.id + ".log")).string());
    const sw::Outcome o = sw::load_outcome(report.string(), code);
    const std::string status = sw::status_of(o);
    const auto m = o.report ? sw::lookup(*o.report, metric) : std::nullopt;
    if (!m || !m->is_number())
      throw std::runtime_error("probe " + key + "=" + std::to_string(v) + " gave no " + metric + " (exit " +
                               std::to_string(code) + "), see " + (dir / sw::kPointsDir / (p.id + ".log")).string());
    const double drops = m->get<double>();
    std::printf("  probe %s=%llu: %s %g, %s, replay %s (%.1fs)\n", key.c_str(), (unsigned long long)v,
                metric.c_str(), drops, drops <= g_args.budget ? "within budget" : "over budget",
                status.c_str(), std::chrono::duration<double>(Clock::now() - t0).count());
    std::fflush(stdout);
    outcomes[v] = o;
    return drops;
  };
  const sw::MinResult r = sw::find_min(lo, hi, step, g_args.budget, measure);
  nlohmann::ordered_json j{{"key", key}, {"trace", traces[0]}, {"metric", metric}, {"budget", g_args.budget},
                           {"lo", lo}, {"hi", hi}, {"step", step}, {"found", r.found}};
  for (const auto& p : r.probes) j["probes"].push_back({{"value", p.value}, {"metric", p.metric}, {"pass", p.pass}});
  if (r.found) {
    j["value"] = r.value;
    j["report"] = (dir / sw::kPointsDir / (point(r.value).id + ".json")).string();
  }
  write_file(dir / "find_min.json", j.dump(2) + "\n");
  if (!r.found) {
    std::cerr << "nicsim sweep: even " << key << "=" << hi << " gives " << metric << " "
              << r.probes.back().metric << " > " << g_args.budget << "; raise --hi or the budget\n";
    return 1;
  }
  const sw::Outcome& best = outcomes.at(r.value);
  const auto fig = [&](const char* path) {
    const auto v = sw::lookup(*best.report, path);
    if (!v) return std::string("n/a");
    if (!v->is_number_float()) return v->dump();
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v->get<double>());
    return std::string(b);
  };
  std::cout << "smallest " << key << " with " << metric << " <= " << g_args.budget << ": " << r.value
            << " (" << r.probes.size() << " probes)\n"
            << "  at that size: offered " << fig("summary.offered_gbps") << " Gb/s, achieved "
            << fig("summary.achieved_gbps") << " Gb/s, latency p50 " << fig("summary.latency_ns_p50")
            << " ns, p99 " << fig("summary.latency_ns_p99") << " ns, replay " << sw::status_of(best) << "\n"
            << "  report " << j["report"].get<std::string>() << ", probes in " << (dir / "find_min.json").string()
            << "\n";
  return 0;
}

int run() {
  try {
    if (!g_args.merge.empty()) return merge();
    if (!g_args.find_key.empty()) return find_min();
    return g_args.emit_dir.empty() ? run_grid() : emit_jobs();
  } catch (const Usage& e) {
    std::cerr << "nicsim sweep: " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "nicsim sweep: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "nicsim sweep: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("sweep", "Replay a grid of configs x traces in parallel; CSV and plots");
  sub->footer(
      "Examples:\n"
      "  nicsim sweep --trace traces/inorder_4flows.pcap --grid mac.rx_fifo_bytes=16K,32K,64K \\\n"
      "      --grid core.clock_mhz=150:250:50 --line-rate --out fifo_sweep\n"
      "  nicsim sweep --find-min mac.rx_fifo_bytes --lo 9K --hi 1M --step 1K --trace T.pcap --line-rate\n"
      "  nicsim sweep --grid ... --trace ... --emit-jobs jobs/   then   nicsim sweep --merge jobs/ --out OUT\n"
      "See docs/sweeps.md.");
  auto* grid = sub->add_option("--grid", g_args.grid,
                               "swept key: key=v1,v2,... (sizes with K/M/G) or key=lo:hi:step; repeat for a product");
  auto* trace = sub->add_option("--trace", g_args.traces, "trace to replay at every point (repeatable)")
                    ->check(CLI::ExistingFile);
  auto* list = sub->add_option("--trace-list", g_args.trace_list, "file with one trace path per line")
                   ->check(CLI::ExistingFile);
  auto* config = sub->add_option("--config", g_args.config, "base JSON config for every point")
                     ->check(CLI::ExistingFile);
  auto* set = sub->add_option("--set", g_args.sets, "base override for every point: --set key=value");
  auto* line_rate = sub->add_flag("--line-rate", g_args.line_rate, "replay frames back to back at line rate");
  auto* jobs = sub->add_option("-j,--jobs", g_args.jobs, "replays run at once (default: number of cores)")
                   ->check(CLI::PositiveNumber);
  auto* out = sub->add_option("--out", g_args.out, "output directory: points/, results.csv, plots/")
                  ->capture_default_str();
  auto* metric = sub->add_option("--metric", g_args.metrics,
                                 "extra report value as a CSV column: summary.latency_ns_max, fifos[name=X].p99");
  sub->add_option("--plot", g_args.plots,
                  "X:Y[,Y2...] one PNG per option, a line per trace and per other grid value "
                  "(default: achieved Gb/s and drops vs the first grid key)");
  auto* emit = sub->add_option("--emit-jobs", g_args.emit_dir,
                               "write DIR/jobs.txt (GNU parallel) and DIR/slurm.sh instead of running");
  auto* merge_opt = sub->add_option("--merge", g_args.merge,
                                    "build results.csv and plots in --out from sweep directories or CSVs");
  auto* find = sub->add_option("--find-min", g_args.find_key,
                               "bisect KEY for the smallest value whose drops stay within --drop-budget");
  auto* lo = sub->add_option("--lo", g_args.lo, "find-min: smallest value tried (K/M/G allowed)");
  auto* hi = sub->add_option("--hi", g_args.hi, "find-min: largest value tried");
  auto* step = sub->add_option("--step", g_args.step, "find-min: granularity of the answer")->capture_default_str();
  auto* budget = sub->add_option("--drop-budget", g_args.budget, "find-min: drops allowed")
                     ->check(CLI::NonNegativeNumber)->capture_default_str();
  auto* drop_metric = sub->add_option("--drop-metric", g_args.drop_metric,
                                      "find-min: report value counted as drops (default: "
                                      "counters.drop_rx_ring_full for placement.rx_ring_bytes, else "
                                      "counters.drop_mac_fifo_full)");
  for (auto* o : {grid, trace, list, config, set, line_rate, jobs, metric, emit, find, lo, hi, step, budget, drop_metric})
    merge_opt->excludes(o);
  for (auto* o : {grid, emit, jobs}) find->excludes(o);
  emit->excludes(out);
  for (auto* o : {lo, hi, step, budget, drop_metric}) o->needs(find);
  sub->callback([] { set_exit_status(run()); });
}

}  // namespace nicsim
