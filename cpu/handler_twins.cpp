// The twins of handler instances that decode and block building pick (exec_common.hpp): fast
// twins by 32-bit address form, and lean twins.
#include "cpu/handlers.hpp"

#include <unordered_set>

#include "cpu/cpu.hpp"

namespace x86lab::cpu {
namespace {

struct Registry {
  HandlerTwins twins;
  // Instances that need no current_insn from the instruction before them: lean-capable ones
  // (they never need it), fast twins (their slow path places itself), fused Jcc pairs (they
  // place the Jcc before it may fault), a superblock's side-exit Jcc (it places itself when
  // taken) and the block's end marker (it places itself when it stops the chain).
  std::unordered_set<Handler> placed;
};

const Registry& registry() {
  static const Registry r = [] {
    Registry g;
    add_alu_twins(g.twins);
    add_data_twins(g.twins);
    for (const auto& [general, forms] : g.twins.forms) {
      for (const Handler fast : forms) g.placed.insert(fast);
    }
    for (const auto& [full, lean] : g.twins.lean) {
      g.placed.insert(full);
      g.placed.insert(lean);
    }
    for (const Handler fused : fused_jcc_handlers()) g.placed.insert(fused);
    for (const Handler side : side_exit_handlers()) g.placed.insert(side);
    for (const Handler pair : mov_pair_handlers()) g.placed.insert(pair);
    for (const Handler run : stack_run_handlers()) g.placed.insert(run);
    for (const Handler exit : jump_exit_handlers()) g.placed.insert(exit);
    for (const Handler twin : end_marker_twin_handlers()) g.placed.insert(twin);
    g.placed.insert(&Cpu::block_end_handler<true>);
    g.placed.insert(&Cpu::block_end_handler<false>);
    return g;
  }();
  return r;
}

}  // namespace

Handler address_form_twin(Handler general, AddressForm form) {
  const auto& forms = registry().twins.forms;
  const auto it = forms.find(general);
  return it == forms.end() ? general : it->second[static_cast<unsigned>(form)];
}

Handler lean_twin(Handler h) {
  const auto& lean = registry().twins.lean;
  const auto it = lean.find(h);
  return it == lean.end() ? nullptr : it->second;
}

bool placed_on_entry(Handler h) { return registry().placed.contains(h); }

}  // namespace x86lab::cpu
