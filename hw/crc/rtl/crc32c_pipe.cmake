# The CRC32C beat pipeline, Verilated from one source:
#   Vcrc32c_pipe      --sc: a SystemC module with sc_in/sc_out ports, clocked by an sc_clock
#                     (the lock-step equivalence testbench, the benchmark);
#   Vcrc32c_pipe_cpp  --cc: a C++ class clocked by assignments and eval(), stepped once per NIC
#                     cycle as the CRC stage's datapath (crc.impl=rtl);
# both with the parameters the NIC runs, and Vcrc32c_pipe_<B>x<L> (--sc) for each other
# geometry the equivalence testbench checks (B bytes, L cycles; also linted).
# The NIC refuses crc.impl=rtl when core.datapath_bytes / crc.latency_cycles differ from these.
set(CRC_RTL_BYTES 64)
set(CRC_RTL_LATENCY 2)
set(CRC_RTL_OTHER_GEOMETRIES 64x1 64x3 16x5)
set_target_properties(nicrtl PROPERTIES CRC_PIPE_GEOMETRY ${CRC_RTL_BYTES}x${CRC_RTL_LATENCY}
  CRC_PIPE_OTHER_GEOMETRIES "${CRC_RTL_OTHER_GEOMETRIES}")
set(CRC_RTL_SV ${CMAKE_CURRENT_LIST_DIR}/crc32c_pipe.sv)
# -Wall: a lint warning fails the build.
set(CRC_RTL_ARGS -GBYTES=${CRC_RTL_BYTES} -GLATENCY=${CRC_RTL_LATENCY} -Wall)
verilate(nicrtl SYSTEMC TRACE SOURCES ${CRC_RTL_SV} TOP_MODULE crc32c_pipe PREFIX Vcrc32c_pipe
  VERILATOR_ARGS ${CRC_RTL_ARGS})
verilate(nicrtl TRACE SOURCES ${CRC_RTL_SV} TOP_MODULE crc32c_pipe PREFIX Vcrc32c_pipe_cpp
  VERILATOR_ARGS ${CRC_RTL_ARGS})
foreach(geometry ${CRC_RTL_OTHER_GEOMETRIES})
  string(REPLACE "x" ";" bl ${geometry})
  list(GET bl 0 bytes)
  list(GET bl 1 latency)
  verilate(nicrtl SYSTEMC TRACE SOURCES ${CRC_RTL_SV} TOP_MODULE crc32c_pipe PREFIX Vcrc32c_pipe_${geometry}
    VERILATOR_ARGS -GBYTES=${bytes} -GLATENCY=${latency} -Wall)
endforeach()
target_compile_definitions(nichw_logic PUBLIC
  NICRTL_CRC_BYTES=${CRC_RTL_BYTES} NICRTL_CRC_LATENCY=${CRC_RTL_LATENCY})
