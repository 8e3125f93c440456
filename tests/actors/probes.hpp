// Test scaffolding for the actor tests: probe actors that stand in for a stage's peers and
// forward what they receive to a scoped actor, which the test reads with timeouts.
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "runtime/node/config.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/stages.hpp"
#include "tests/support/asking.hpp"
#include "tests/support/spawning.hpp"
#include "tests/support/orders.hpp"

namespace ordernode::test {

using namespace std::chrono_literals;

constexpr caf::timespan default_timeout = std::chrono::seconds(2);

// What one probe received: its name, whether the message came urgent (VIP), and the message.
struct seen {
  std::string at;
  bool urgent = false;
  caf::message content;
};

template <class Self, class... Ts>
void forward(Self* self, const caf::actor& sink, const std::string& at, Ts... xs) {
  auto urgent = self->current_mailbox_element()->mid.is_urgent_message();
  caf::anon_send(sink, at, urgent, caf::make_message(std::move(xs)...));
}

struct journal_script {
  std::vector<stored_order> unfinished;
  totals initial;
  std::vector<stored_order> live;  // What `live` queries see.
};

struct journal_probe_state {
  std::set<std::string> known;

  static inline const char* name = "journal_probe";
};

// Answers appends `accepted` for a new id and `duplicate` for a known one.
inline journal_actor::behavior_type journal_probe(
  journal_actor::stateful_pointer<journal_probe_state> self, caf::actor sink,
  journal_script script) {
  return {
    [=](append_atom, order& x) {
      forward(self, sink, "journal", append_atom::value, x);
      return self->state.known.insert(x.id).second ? admission::accepted : admission::duplicate;
    },
    [=](admit_atom, order& x) {
      forward(self, sink, "journal", admit_atom::value, x);
      auto outcome =
        self->state.known.insert(x.id).second ? admission::accepted : admission::duplicate;
      self->send(caf::actor_cast<admission_listener>(self->current_sender()), admitted_atom::value,
                 std::vector<admission_note>{admission_note::taken_as(x.id, outcome)});
    },
    [=](order_event& x) { forward(self, sink, "journal", std::move(x)); },
    [=](error_report& x) { forward(self, sink, "journal", std::move(x)); },
    [=](flush_atom) { return true; },
    [=](unfinished_atom) {
      forward(self, sink, "journal", unfinished_atom::value);
      return script.unfinished;
    },
    [=](live_atom, std::vector<order_state>& states, std::string& region) {
      forward(self, sink, "journal", live_atom::value, states, region);
      std::vector<stored_order> result;
      for (auto& x : script.live)
        if (std::find(states.begin(), states.end(), x.state) != states.end()
            && (region.empty() || region == x.item.region))
          result.push_back(x);
      return result;
    },
    [=](live_atom) { return static_cast<uint64_t>(script.live.size()); },
    [=](totals_atom) { return script.initial; },
    [=](subscribe_atom, finished_listener&) {
      forward(self, sink, "journal", subscribe_atom::value);
      return script.initial;
    },
    [=](subscribe_atom, change_listener&) {},
    [=](unsubscribe_atom, change_listener&) {},
    [=](tick_atom) {},
    [=](take_over_atom, std::string&, std::vector<std::string>&, caf::timespan) {
      return std::vector<stored_order>{};
    },
  };
}

// Records every forwarded order and answers each with a `forwarded` note.
inline outbox_actor::behavior_type outbox_probe(outbox_actor::pointer self, caf::actor sink) {
  return {
    [=](forward_atom, order& x) {
      forward(self, sink, "outbox", forward_atom::value, x);
      self->send(caf::actor_cast<admission_listener>(self->current_sender()), admitted_atom::value,
                 std::vector<admission_note>{admission_note::taken_as(x.id, admission::forwarded)});
    },
    [=](outbox_atom, int64_t, int32_t) { return outbox_page{}; },
    [=](published_atom, std::vector<int64_t>& seqs) {
      forward(self, sink, "outbox", published_atom::value, std::move(seqs));
    },
  };
}

inline dispatcher_actor::behavior_type dispatcher_probe(dispatcher_actor::pointer self,
                                                        caf::actor sink, std::string at) {
  return {
    [=](process_atom, order& x) { forward(self, sink, at, process_atom::value, std::move(x)); },
    [=](done_atom, std::string& id) { forward(self, sink, at, done_atom::value, std::move(id)); },
    [=](in_flight_atom) { return uint64_t{0}; },
  };
}

inline processor_actor::behavior_type processor_probe(processor_actor::pointer self,
                                                      caf::actor sink, std::string at) {
  return {
    [=](process_atom, order& x) { forward(self, sink, at, process_atom::value, std::move(x)); },
    [=](finish_atom, order& x, timestamp t) {
      forward(self, sink, at, finish_atom::value, std::move(x), t);
    },
  };
}

inline error_channel_actor::behavior_type error_channel_probe(error_channel_actor::pointer self,
                                                              caf::actor sink) {
  return {
    [=](error_report& x) { forward(self, sink, "errors", std::move(x)); },
  };
}

inline shipper_actor::behavior_type shipper_probe(shipper_actor::pointer self, caf::actor sink) {
  return {
    [=](ship_atom, order& x) { forward(self, sink, "shipper", ship_atom::value, std::move(x)); },
    [=](retry_atom, order& x, int32_t n) {
      forward(self, sink, "shipper", retry_atom::value, std::move(x), n);
    },
    [=](resume_atom, order& x, int32_t n, timestamp due) {
      forward(self, sink, "shipper", resume_atom::value, std::move(x), n, due);
    },
    [=](finish_atom, order& x, int32_t n) {
      forward(self, sink, "shipper", finish_atom::value, std::move(x), n);
    },
    [=](timeout_atom, order& x, int32_t n) {
      forward(self, sink, "shipper", timeout_atom::value, std::move(x), n);
    },
  };
}

inline validator_actor::behavior_type validator_probe(validator_actor::pointer self,
                                                      caf::actor sink) {
  return {
    [=](order& x) { forward(self, sink, "validator", std::move(x)); },
  };
}

// Answers every submission with `answer`, or with `overloaded` when `overloaded` is set.
// Takes every order, or refuses each with `refuses`.
inline intake_actor::behavior_type intake_probe(intake_actor::pointer self, caf::actor sink,
                                                refusal refuses) {
  return {
    [=](finished_atom, std::vector<finished_order>& xs) {
      forward(self, sink, "intake", finished_atom::value, std::move(xs));
    },
    [=](dropped_atom, std::vector<std::string>& xs) {
      forward(self, sink, "intake", dropped_atom::value, std::move(xs));
    },
    [=](admitted_atom, std::vector<admission_note>& xs) {
      forward(self, sink, "intake", admitted_atom::value, std::move(xs));
    },
    [=](submit_atom, order& x) -> caf::result<admission> {
      forward(self, sink, "intake", submit_atom::value, std::move(x));
      if (refuses != refusal::none)
        return make_error(refuses, "the probe refuses");
      return admission::accepted;
    },
    [=](submit_atom, order& x, admission_listener& listener) {
      forward(self, sink, "intake", submit_atom::value, x);
      auto note = refuses != refusal::none
                    ? admission_note::refused_for(x.id, refuses, "the probe refuses")
                    : admission_note::taken_as(x.id, admission::accepted);
      self->send(listener, admitted_atom::value, std::vector<admission_note>{std::move(note)});
    },
    [=](take_atom, order& x, admission_listener& listener) {
      forward(self, sink, "intake", take_atom::value, x);
      self->send(listener, admitted_atom::value,
                 std::vector<admission_note>{admission_note::taken_as(x.id, admission::accepted)});
    },
    [=](recover_atom) { return uint64_t{0}; },
    [=](in_flight_atom) { return uint64_t{0}; },
    [=](resume_atom, std::vector<stored_order>& xs) {
      forward(self, sink, "intake", resume_atom::value, std::move(xs));
    },
    [=](redrive_atom, std::vector<order_state>& states, std::string& region) {
      forward(self, sink, "intake", redrive_atom::value, std::move(states), std::move(region));
    },
  };
}

inline finished_listener::behavior_type listener_probe(finished_listener::pointer self,
                                                       caf::actor sink) {
  return {
    [=](finished_atom, std::vector<finished_order>& xs) {
      forward(self, sink, "listener", finished_atom::value, std::move(xs));
    },
    [=](dropped_atom, std::vector<std::string>& xs) {
      forward(self, sink, "listener", dropped_atom::value, std::move(xs));
    },
  };
}

inline change_listener::behavior_type change_probe(change_listener::pointer self, caf::actor sink) {
  return {
    [=](changed_atom, std::vector<order_change>& xs) {
      forward(self, sink, "changes", changed_atom::value, std::move(xs));
    },
  };
}

inline admission_listener::behavior_type admission_probe(admission_listener::pointer self,
                                                         caf::actor sink) {
  return {
    [=](admitted_atom, std::vector<admission_note>& xs) {
      forward(self, sink, "admissions", admitted_atom::value, std::move(xs));
    },
  };
}

inline caf::behavior subscriber_probe(caf::event_based_actor* self, caf::actor sink) {
  return {
    [=](totals_atom, totals& x) { forward(self, sink, "subscriber", totals_atom::value, x); },
  };
}

// One actor system per test case. Every actor spawned through `track` is stopped at the end,
// so the system can shut down.
class fixture : public asking<fixture>, public spawning<fixture> {
public:
  fixture() : sys{cfg}, self{sys} {
    spdlog::set_level(spdlog::level::warn);
  }

  fixture(const fixture&) = delete;
  fixture& operator=(const fixture&) = delete;

  ~fixture() {
    stop_spawned();
  }

  caf::actor sink() {
    return caf::actor_cast<caf::actor>(self);
  }

  // The next message that reached the probe `at`, in arrival order; messages to other probes
  // stay buffered.
  std::optional<seen> take(const std::string& at, caf::timespan timeout = default_timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (auto i = buffer.begin(); i != buffer.end(); ++i) {
        if (i->at == at) {
          auto result = std::move(*i);
          buffer.erase(i);
          return result;
        }
      }
      if (!pull(deadline))
        return std::nullopt;
    }
  }

  // The next message to `at`, which must consist of `Ts...`.
  template <class... Ts>
  std::tuple<Ts...> expect(const std::string& at, caf::timespan timeout = default_timeout) {
    auto x = take(at, timeout);
    INFO("waiting for a message to ", at);
    REQUIRE(x.has_value());
    INFO("got ", caf::to_string(x->content));
    REQUIRE(x->content.template match_elements<Ts...>());
    last_urgent = x->urgent;
    return unpack<Ts...>(x->content, std::index_sequence_for<Ts...>{});
  }

  template <class T>
  T expect_one(const std::string& at, caf::timespan timeout = default_timeout) {
    return std::get<0>(expect<T>(at, timeout));
  }

  // Checks that nothing reaches `at` for `window`.
  void expect_quiet(const std::string& at, caf::timespan window) {
    auto x = take(at, window);
    INFO("unexpected message to ", at, ": ", x ? caf::to_string(x->content) : std::string{});
    CHECK_FALSE(x.has_value());
  }

  // Everything that reaches `at` within `window`.
  std::vector<caf::message> collect(const std::string& at, caf::timespan window) {
    std::vector<caf::message> result;
    auto deadline = std::chrono::steady_clock::now() + window;
    for (;;) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= caf::timespan{0})
        return result;
      if (auto x = take(at, std::chrono::duration_cast<caf::timespan>(left)))
        result.push_back(std::move(x->content));
    }
  }

  // Sends a request and waits for its response.
  template <class T, class Dest, class... Ts>
  caf::expected<T> try_ask(const Dest& dest, Ts&&... xs) {
    caf::expected<T> result{caf::sec::request_timeout};
    self->request(dest, default_timeout, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); }, [&](caf::error& err) { result = err; });
    return result;
  }

  node_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
  std::deque<seen> buffer;
  bool last_urgent = false;

private:
  bool pull(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() < 1)
      left = std::chrono::milliseconds(1);
    auto got = false;
    self->receive(
      [&](std::string& at, bool urgent, caf::message& content) {
        buffer.push_back(seen{std::move(at), urgent, std::move(content)});
        got = true;
      },
      caf::after(left) >> [] {});
    return got || std::chrono::steady_clock::now() < deadline;
  }

  template <class... Ts, size_t... Is>
  static std::tuple<Ts...> unpack(const caf::message& x, std::index_sequence<Is...>) {
    return std::tuple<Ts...>{x.get_as<Ts>(Is)...};
  }
};

}  // namespace ordernode::test
