// The intake: the entry point of the flow. An order is accepted once the journal holds it.
#pragma once

#include <map>
#include <string>
#include <unordered_map>

#include <caf/typed_response_promise.hpp>

#include "runtime/core/stages.hpp"

namespace ordernode {

// Where an order re-enters the flow, by the state it had when the node stopped.
struct flow_entries {
  validator_ref validator;
  dispatcher_refs dispatchers;
  shipper_ref shipper;
  error_channel_ref errors;
  // An order recovered more often than this goes to the dead-letter state instead.
  int32_t max_recoveries = 5;
};

struct intake_state {
  // A submission the journal has not committed yet, and who waits for its outcome.
  struct waiter {
    order item;
    caf::typed_response_promise<admission> promise;
    admission_listener listener;
    bool forwarded = false;  // Recorded for the broker, not for the local flow.
  };

  uint64_t in_flight = 0;
  uint64_t max_in_flight = 0;
  std::unordered_map<std::string, waiter> waiting;

  static inline const char* name = "intake";
};

using intake_pointer = intake_actor::stateful_pointer<intake_state>;

// Admits at most `max_in_flight` unfinished orders and answers `overloaded` beyond that (the
// source pauses, the API answers 503): memory stays flat whatever the input rate. A submitted
// order goes on to the validator only after the journal committed it; a duplicate id is
// answered `duplicate` and goes nowhere. A submission answers with a response, or with a
// batched admission note when it names a listener. `recover` re-queues every unfinished order,
// `resume` the given ones (taken over from a node that is down);
// `redrive` re-sends the unfinished orders in the given states (of one region, or all when the
// region is empty): the supervisor's way to replace what a dead stage held. With a valid
// `forward_to`, submitted orders of a served region go to the broker through the journal's
// outbox instead of the local flow; `take` (the broker's consumer) always lets an order into the
// local flow.
intake_actor::behavior_type intake(intake_pointer self, journal_actor journal, flow_entries entries,
                                   uint64_t max_in_flight, outbox_actor forward_to);

}  // namespace ordernode
