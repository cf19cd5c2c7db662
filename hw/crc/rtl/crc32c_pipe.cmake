# The CRC32C beat pipeline, Verilated twice from one source with the parameters the NIC runs:
#   Vcrc32c_pipe      --sc: a SystemC module with sc_in/sc_out ports, clocked by an sc_clock
#                     (the lock-step equivalence testbench, the benchmark);
#   Vcrc32c_pipe_cpp  --cc: a C++ class clocked by assignments and eval(), stepped
#                     synchronously as the CRC engines' datapath in the NIC (crc.impl=rtl).
# The NIC refuses crc.impl=rtl when core.datapath_bytes / crc.latency_cycles differ from these.
set(CRC_RTL_BYTES 64)
set(CRC_RTL_LATENCY 2)
# -Wall: a lint warning fails the build.
set(CRC_RTL_ARGS -GBYTES=${CRC_RTL_BYTES} -GLATENCY=${CRC_RTL_LATENCY} -Wall)
verilate(nicrtl SYSTEMC TRACE SOURCES ${CMAKE_CURRENT_LIST_DIR}/crc32c_pipe.sv TOP_MODULE crc32c_pipe PREFIX Vcrc32c_pipe
  VERILATOR_ARGS ${CRC_RTL_ARGS})
verilate(nicrtl TRACE SOURCES ${CMAKE_CURRENT_LIST_DIR}/crc32c_pipe.sv TOP_MODULE crc32c_pipe PREFIX Vcrc32c_pipe_cpp
  VERILATOR_ARGS ${CRC_RTL_ARGS})
target_compile_definitions(nichw_logic PUBLIC
  NICRTL_CRC_BYTES=${CRC_RTL_BYTES} NICRTL_CRC_LATENCY=${CRC_RTL_LATENCY})
