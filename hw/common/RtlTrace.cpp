#include "hw/common/RtlTrace.hpp"

#include <cstring>
#include <string>

#include "verilated.h"
#include "verilated_syms.h"

namespace nic::hw {

namespace {

template <class T>
size_t trace_var(sc_core::sc_trace_file* tf, const VerilatedVar& var, const std::string& name) {
  const T* p = static_cast<const T*>(var.datap());
  const int width = var.dims() ? var.packed().elements() : 1;
  if (!var.udims()) {
    sc_core::sc_trace(tf, *p, name, width);
    return 1;
  }
  const int n = var.unpacked().elements();
  for (int i = 0; i < n; ++i)
    sc_core::sc_trace(tf, p[i], name + "(" + std::to_string(var.unpacked().low() + i) + ")", width);
  return size_t(n);
}

}  // namespace

size_t trace_rtl_public(sc_core::sc_trace_file* tf, const VerilatedModel& model) {
  // The model's own scopes are <hierName>.<module>...; the context may hold other models.
  const std::string root = std::string(model.hierName()) + ".";
  size_t traced = 0;
  for (const auto& [scope_name, scope] : *model.contextp()->scopeNameMap()) {
    if (std::strncmp(scope_name, root.c_str(), root.size()) != 0 || !scope->varsp()) continue;
    for (const auto& [var_name, var] : *scope->varsp()) {
      if (var.isParam() || var.udims() > 1) continue;
      const std::string name = std::string(scope_name) + "." + var_name;
      switch (var.vltype()) {
        case VLVT_UINT8: traced += trace_var<CData>(tf, var, name); break;
        case VLVT_UINT16: traced += trace_var<SData>(tf, var, name); break;
        case VLVT_UINT32: traced += trace_var<IData>(tf, var, name); break;
        case VLVT_UINT64: traced += trace_var<QData>(tf, var, name); break;
        default: break;  // wide vectors and strings: trace their ports' sc_signals instead
      }
    }
  }
  return traced;
}

}  // namespace nic::hw
