#include "apps/nicsim/commands.hpp"

#include <CLI/CLI.hpp>

namespace nicsim {
namespace {
int g_status = 0;
}
void set_exit_status(int status) { g_status = status; }
int run_selected(CLI::App&) { return g_status; }
}  // namespace nicsim
