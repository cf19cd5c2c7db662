#include "apps/nicsim/commands.hpp"

#include <CLI/CLI.hpp>
#include <systemc>

#include <cstdlib>
#include <iostream>

namespace nicsim {
namespace {
int g_status = 0;
const char* g_sc_name = "";
std::function<int()> g_sc_body;
}  // namespace
void set_exit_status(int status) { g_status = status; }
int run_selected(CLI::App&) { return g_status; }

int run_systemc(const char* name, std::function<int()> body) {
  g_sc_name = name;
  g_sc_body = std::move(body);
  g_status = 0;
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  char argv0[] = "nicsim";
  char* argv[] = {argv0, nullptr};
  sc_core::sc_elab_and_sim(1, argv);
  return g_status;
}
}  // namespace nicsim

int sc_main(int, char**) {
  int status = 1;
  try {
    status = nicsim::g_sc_body();
  } catch (const sc_core::sc_report& e) {
    std::cerr << "nicsim " << nicsim::g_sc_name << ": " << e.get_msg() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "nicsim " << nicsim::g_sc_name << ": " << e.what() << "\n";
  }
  nicsim::set_exit_status(status);
  return 0;
}
