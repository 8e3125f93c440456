#include "actors/supervisor.hpp"

#include <algorithm>
#include <cctype>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

using child = supervisor_state::child;

child* find_child(supervisor_pointer self, const caf::actor_addr& addr) {
  for (auto& x : self->state.children)
    if (x.handle && x.handle.address() == addr)
      return &x;
  return nullptr;
}

child* find_child(supervisor_pointer self, const std::string& name) {
  for (auto& x : self->state.children)
    if (x.spec.name == name)
      return &x;
  return nullptr;
}

void forget_before(std::deque<caf::actor_clock::time_point>& xs,
                   caf::actor_clock::time_point cutoff) {
  while (!xs.empty() && xs.front() < cutoff)
    xs.pop_front();
}

void escalate(supervisor_pointer self, const std::string& why) {
  auto& st = self->state;
  if (st.gave_up)
    return;
  st.gave_up = true;
  spdlog::critical("supervisor gives up: {}; the node shuts down", why);
  if (auto& errors = st.errors.get())
    self->send(errors, error_report{"", stage_id::supervisor, error_type::escalation, why, now()});
  if (st.give_up)
    st.give_up(why);
}

void start(supervisor_pointer self, child& x) {
  x.handle = x.spec.spawn(self->system());
  self->monitor(x.handle);
  self->state.registry->started(x.spec.name, x.spec.kind, x.handle);
}

bool is_shutdown(const caf::error& reason) {
  return reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

void on_down(supervisor_pointer self, caf::down_msg& msg) {
  auto& st = self->state;
  auto* x = find_child(self, msg.source);
  if (x == nullptr)
    return;
  auto reason = describe(msg.reason);
  x->handle = nullptr;
  st.registry->stopped(x->spec.name, reason);
  if (st.gave_up || is_shutdown(msg.reason))
    return;
  spdlog::error("supervisor: {} died ({})", x->spec.name, reason);
  if (!x->spec.spawn) {
    escalate(self, x->spec.name + " died (" + reason + ")");
    return;
  }
  auto t = self->clock().now();
  auto cutoff = t - st.options.restart_window;
  forget_before(st.restarts, cutoff);
  forget_before(x->restarts, cutoff);
  if (st.restarts.size() >= static_cast<size_t>(st.options.max_restarts)) {
    escalate(
      self,
      x->spec.name + " died (" + reason + ") after " + std::to_string(st.restarts.size())
        + " restarts within "
        + std::to_string(
          std::chrono::duration_cast<std::chrono::milliseconds>(st.options.restart_window).count())
        + " ms");
    return;
  }
  st.restarts.push_back(t);
  x->restarts.push_back(t);
  auto delay = st.options.backoff;
  for (size_t i = 1; i < x->restarts.size() && delay < st.options.max_backoff; ++i)
    delay *= 2;
  delay = std::min(delay, st.options.max_backoff);
  spdlog::warn("supervisor: restarting {} in {} ms", x->spec.name,
               std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
  self->delayed_send(self, delay, restart_atom::value, x->spec.name);
  // A dead error channel cannot take the report of its own death.
  if (auto& errors = st.errors.get(); errors && errors.address() != msg.source)
    self->send(errors, error_report{"", stage_id::supervisor, error_type::crash,
                                    x->spec.name + " died: " + reason, now()});
}

}  // namespace

supervisor_actor::behavior_type supervisor(supervisor_pointer self, supervisor_options options,
                                           std::vector<child_spec> children,
                                           std::shared_ptr<actor_registry> registry,
                                           intake_ref intake, error_channel_ref errors,
                                           escalation give_up) {
  auto& st = self->state;
  st.options = std::move(options);
  st.registry = std::move(registry);
  st.intake = std::move(intake);
  st.errors = std::move(errors);
  st.give_up = std::move(give_up);
  for (auto& spec : children) {
    st.children.push_back(child{std::move(spec), {}, {}});
    auto& x = st.children.back();
    if (x.spec.handle) {
      x.handle = x.spec.handle;
      self->monitor(x.handle);
      st.registry->started(x.spec.name, x.spec.kind, x.handle);
    } else {
      start(self, x);
    }
  }
  for (auto& entry : st.options.inject_crash)
    if (auto plan = parse_crash_injection(entry))
      self->delayed_send(self, plan->delay, crash_atom::value, plan->stage);
  self->set_down_handler([=](caf::down_msg& msg) { on_down(self, msg); });
  return {
    [=](restart_atom, const std::string& name) {
      auto& st = self->state;
      auto* x = find_child(self, name);
      if (x == nullptr || st.gave_up || x->handle)
        return;
      start(self, *x);
      spdlog::warn("supervisor: {} restarted ({} restarts within the window)", name,
                   x->restarts.size());
      if (auto& errors = st.errors.get())
        self->send(errors, error_report{"", stage_id::supervisor, error_type::restart,
                                        name + " restarted after a crash", now()});
      if (!x->spec.custody.empty())
        self->send(st.intake.get(), redrive_atom::value, x->spec.custody, x->spec.region);
    },
    [=](crash_atom, const std::string& name) {
      auto* x = find_child(self, name);
      if (x == nullptr || !x->handle) {
        spdlog::warn("supervisor: no running stage named {} to crash", name);
        return;
      }
      spdlog::warn("supervisor: injecting a crash into {}", name);
      self->send_exit(x->handle, make_error(errc::injected_crash, "injected into " + name));
    },
  };
}

std::optional<crash_injection> parse_crash_injection(const std::string& x) {
  auto at = x.find('@');
  if (at == 0 || at == std::string::npos)
    return std::nullopt;
  auto delay = x.substr(at + 1);
  size_t digits = 0;
  while (digits < delay.size() && std::isdigit(static_cast<unsigned char>(delay[digits])))
    ++digits;
  if (digits == 0 || digits > 9)
    return std::nullopt;
  auto count = std::stoll(delay.substr(0, digits));
  auto unit = delay.substr(digits);
  caf::timespan span;
  if (unit == "ms")
    span = std::chrono::milliseconds(count);
  else if (unit == "s")
    span = std::chrono::seconds(count);
  else if (unit == "min")
    span = std::chrono::minutes(count);
  else
    return std::nullopt;
  return crash_injection{x.substr(0, at), span};
}

option_table option_table_of(supervisor_options& x) {
  option_table result{"supervisor"};
  result
    .add(x.max_restarts, "max-restarts", "restarts within the window before the node stops", 0,
         1000000)
    .add(x.restart_window, "restart-window", "window in which restarts are counted",
         span_rule::positive)
    .add(x.backoff, "backoff", "delay before a restart, doubling within the window",
         span_rule::not_negative)
    .add(x.max_backoff, "max-backoff", "longest delay before a restart", span_rule::not_negative)
    .add(x.inject_crash, "inject-crash", "crash stages once for tests: [\"shipper@2s\"]")
    .rule("inject-crash", [&x] {
      for (auto& entry : x.inject_crash)
        if (!parse_crash_injection(entry))
          return "expected \"stage@delay\" like \"shipper@2s\", got \"" + entry + "\"";
      return std::string{};
    });
  return result;
}

}  // namespace ordernode
