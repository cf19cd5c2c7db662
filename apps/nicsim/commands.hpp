// Subcommand registration. Each add_*_command attaches a subcommand and a callback that
// stores its exit status; run_selected returns it.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace nic {
struct SimConfig;
}

namespace nicsim {
void add_gen_command(CLI::App& app);
void add_replay_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_config_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_plot_command(CLI::App& app);
// Checks `nicsim run` options other than --config, --set and the outputs (a sweep's --run, as
// words) against the NIC config `cfg` as `nicsim run` does before it runs; throws
// std::invalid_argument.
void check_run_options(const std::vector<std::string>& words, const nic::SimConfig& cfg);
// Runs the callback of whichever subcommand was parsed; returns the process exit status.
int run_selected(CLI::App& app);
// Subcommands set this from their callbacks (0 ok, 1 run failed, 2 bad input).
void set_exit_status(int status);
// Runs `body` inside SystemC (which wants to be entered through sc_main) and returns its
// status; whatever still goes wrong inside the simulation ends it with one line, "nicsim
// NAME: ...", and status 1, not with SystemC's report on stdout and status 0.
int run_systemc(const char* name, std::function<int()> body);
}  // namespace nicsim
