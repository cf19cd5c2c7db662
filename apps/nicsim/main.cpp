// nicsim: command-line front end. Each subcommand lives in its own cmd_*.cpp and registers
// itself here.
#include <CLI/CLI.hpp>
#include <systemc>

#include <iostream>
#include <string>

#include "apps/nicsim/commands.hpp"
#include "apps/nicsim/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"nicsim: cycle-accurate model of an NVMe/TCP receive-offload SmartNIC"};
  app.require_subcommand(1);
  app.set_version_flag("--version", [] {
    return std::string("nicsim ") + nicsim::kVersion +
           (*nicsim::kCommit ? std::string(" (commit ") + nicsim::kCommit + ")" : std::string()) +
           "\nSystemC " + sc_core::sc_release();
  });
  // One line per error, as every other error of nicsim.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("nicsim: ") + e.what() + " (see --help)\n";
  });
  nicsim::add_gen_command(app);
  nicsim::add_replay_command(app);
  nicsim::add_run_command(app);

  nicsim::add_config_command(app);
  nicsim::add_sweep_command(app);
  nicsim::add_plot_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends exit 0; every bad argument exits 2, as the subcommands' own checks do.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return nicsim::run_selected(app);
}
