// Verilated RTL in SystemC waveforms. SystemC's VCD writer can trace any C++ variable, not
// only signals; a Verilated model keeps each signal the RTL marks /*verilator public_flat_rd*/
// as a plain variable and lists it in its scope table. trace_rtl_public() hands those to
// sc_trace, so they land in the same VCD as the sc_signals around them, sampled the same way
// (at the end of every time step). Verilator's own tracer (VerilatedVcdSc) cannot do this: in
// 5.006 it writes a file of its own and ignores sc_trace.
#pragma once
#include <systemc>

#include <cstddef>

class VerilatedModel;

namespace nic::hw {

// Traces every public variable of `model` (Verilated with --cc or --sc) up to 64 bits wide as
// <scope>.<name>, elements of an unpacked array as <scope>.<name>(i); returns how many traces
// it added. Verilator 5.006 lists a 1-bit unpacked array (`logic v[3]`) exactly like a packed
// vector (`logic [0:2] v`), so make public single-bit arrays packed vectors.
size_t trace_rtl_public(sc_core::sc_trace_file* tf, const VerilatedModel& model);

}  // namespace nic::hw
