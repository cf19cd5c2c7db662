// SystemC owns main() and calls sc_main; ctest runs every TEST_CASE in its own process,
// which SystemC needs (a design elaborates once per process).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <systemc>

int sc_main(int argc, char** argv) { return Catch::Session().run(argc, argv); }
