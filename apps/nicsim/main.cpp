// nicsim: command-line front end. Each subcommand lives in its own cmd_*.cpp and registers
// itself here.
#include <CLI/CLI.hpp>

#include <iostream>

#include "apps/nicsim/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"nicsim: cycle-accurate model of an NVMe/TCP receive-offload SmartNIC"};
  app.require_subcommand(1);
  nicsim::add_gen_command(app);
  nicsim::add_replay_command(app);
  nicsim::add_config_command(app);
  nicsim::add_sweep_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and friends exit 0; every bad argument exits 2, as the subcommands' own checks do.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return nicsim::run_selected(app);
}
