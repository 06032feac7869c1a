// The fast twins of memory-operand handlers by 32-bit address form (exec_common.hpp), picked
// once per decoded instruction.
#include "cpu/handlers.hpp"

namespace x86lab::cpu {

Handler address_form_twin(Handler general, AddressForm form) {
  static const AddressFormTwins twins = [] {
    AddressFormTwins t;
    add_alu_address_forms(t);
    add_data_address_forms(t);
    return t;
  }();
  const auto it = twins.find(general);
  return it == twins.end() ? general : it->second[static_cast<unsigned>(form)];
}

}  // namespace x86lab::cpu
