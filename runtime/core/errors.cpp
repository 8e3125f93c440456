#include "runtime/core/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>

namespace ordernode {

namespace {

constexpr caf::atom_value category = caf::atom("ordernode");

}  // namespace

std::string to_string(errc x) {
  switch (x) {
    case errc::overloaded:
      return "overloaded";
    case errc::invalid_order:
      return "invalid_order";
    case errc::unknown_region:
      return "unknown_region";
    case errc::store_failure:
      return "store_failure";
    case errc::bad_config:
      return "bad_config";
    case errc::shutting_down:
      return "shutting_down";
    case errc::injected_crash:
      return "injected_crash";
    case errc::node_id_taken:
      return "node_id_taken";
    case errc::broker_failure:
      return "broker_failure";
  }
  return "unknown_error";
}

caf::error make_error(errc x) {
  return caf::error{static_cast<uint8_t>(x), category};
}

caf::error make_error(errc x, std::string context) {
  return caf::error{static_cast<uint8_t>(x), category, caf::make_message(std::move(context))};
}

caf::error make_error(refusal x, std::string detail) {
  switch (x) {
    case refusal::overloaded:
      return make_error(errc::overloaded, std::move(detail));
    case refusal::journal_unavailable:
      return make_error(errc::store_failure, std::move(detail));
    case refusal::shutting_down:
    case refusal::recovering:
      return make_error(errc::shutting_down, std::move(detail));
    default:
      return make_error(errc::invalid_order, std::move(detail));
  }
}

std::string render_error(uint8_t code, caf::atom_value, const caf::message& context) {
  auto result = to_string(static_cast<errc>(code));
  if (context.match_elements<std::string>())
    result += ": " + context.get_as<std::string>(0);
  return result;
}

std::string describe(const caf::error& err) {
  if (err.category() == category)
    return render_error(err.code(), err.category(), err.context());
  return caf::actor_system_config::render(err);
}

}  // namespace ordernode
