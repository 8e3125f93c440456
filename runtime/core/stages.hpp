// The typed interface of every stage: a wrong wire between stages is a compile error.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_actor.hpp>

#include "runtime/core/messages.hpp"
#include "runtime/core/stage_ref.hpp"
#include "runtime/core/outbox.hpp"

namespace ordernode {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using recover_atom = caf::atom_constant<caf::atom("recover")>;
using process_atom = caf::atom_constant<caf::atom("process")>;
using finish_atom = caf::atom_constant<caf::atom("finish")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using ship_atom = caf::atom_constant<caf::atom("ship")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using append_atom = caf::atom_constant<caf::atom("append")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using totals_atom = caf::atom_constant<caf::atom("totals")>;
using in_flight_atom = caf::atom_constant<caf::atom("inflight")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using report_atom = caf::atom_constant<caf::atom("report")>;
using unfinished_atom = caf::atom_constant<caf::atom("unfinished")>;
using admit_atom = caf::atom_constant<caf::atom("admit")>;
using admitted_atom = caf::atom_constant<caf::atom("admitted")>;
using live_atom = caf::atom_constant<caf::atom("live")>;
using redrive_atom = caf::atom_constant<caf::atom("redrive")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using rate_atom = caf::atom_constant<caf::atom("rate")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsub")>;
using changed_atom = caf::atom_constant<caf::atom("changed")>;
using forward_atom = caf::atom_constant<caf::atom("forward")>;
using outbox_atom = caf::atom_constant<caf::atom("outbox")>;
using published_atom = caf::atom_constant<caf::atom("published")>;
using take_atom = caf::atom_constant<caf::atom("take")>;
using result_atom = caf::atom_constant<caf::atom("result")>;
using check_results_atom = caf::atom_constant<caf::atom("chkresult")>;
using take_over_atom = caf::atom_constant<caf::atom("takeover")>;
using dropped_atom = caf::atom_constant<caf::atom("dropped")>;

// Receives the outcomes of its submissions in batches. High-volume clients use this instead of
// one request per order: CAF 0.17 keeps pending responses in a flat map with linear lookup.
using admission_listener =
  caf::typed_actor<caf::reacts_to<admitted_atom, std::vector<admission_note>>>;

// Receives the orders that reached a final state, in committed batches, and the ids of orders
// this node dropped unfinished because another node of the cluster took them over.
using finished_listener =
  caf::typed_actor<caf::reacts_to<finished_atom, std::vector<finished_order>>,
                   caf::reacts_to<dropped_atom, std::vector<std::string>>>;

// Receives every committed state change (new orders included), in committed batches.
using change_listener = caf::typed_actor<caf::reacts_to<changed_atom, std::vector<order_change>>>;

// Owns the durable record of every order; answers appends only after the commit, either as a
// response (`append`) or as a batched admission note to the sender (`admit`). `take_over`
// moves the unfinished orders of a node that is down to this one (regions, lease).
using journal_actor =
  caf::typed_actor<caf::replies_to<append_atom, order>::with<admission>,
                   caf::reacts_to<admit_atom, order>, caf::reacts_to<order_event>,
                   caf::reacts_to<error_report>, caf::replies_to<flush_atom>::with<bool>,
                   caf::replies_to<unfinished_atom>::with<std::vector<stored_order>>,
                   caf::replies_to<live_atom, std::vector<order_state>,
                                   std::string>::with<std::vector<stored_order>>,
                   caf::replies_to<live_atom>::with<uint64_t>,
                   caf::replies_to<totals_atom>::with<totals>,
                   caf::replies_to<subscribe_atom, finished_listener>::with<totals>,
                   caf::reacts_to<subscribe_atom, change_listener>,
                   caf::reacts_to<unsubscribe_atom, change_listener>, caf::reacts_to<tick_atom>,
                   caf::replies_to<take_over_atom, std::string, std::vector<std::string>,
                                   caf::timespan>::with<std::vector<stored_order>>>;

// The journal's outbox: `forward` records an order for the broker instead of the local flow
// (answered with a batched admission note after the commit), `outbox` pages through what waits
// for a publish, `published` removes what the broker confirmed.
using outbox_actor =
  caf::typed_actor<caf::reacts_to<forward_atom, order>,
                   caf::replies_to<outbox_atom, int64_t, int32_t>::with<outbox_page>,
                   caf::reacts_to<published_atom, std::vector<int64_t>>>;

// The journal as the node spawns it: what the stages use plus the outbox.
using journal_with_outbox_actor = journal_actor::extend_with<outbox_actor>;

// Logs and records every error; errors about an order end it as rejected or failed.
using error_channel_actor = caf::typed_actor<caf::reacts_to<error_report>>;

// Keeps the totals of finished orders and publishes them.
using aggregator_actor = finished_listener::extend<caf::replies_to<totals_atom>::with<totals>,
                                                   caf::reacts_to<subscribe_atom, caf::actor>,
                                                   caf::reacts_to<report_atom>>;

// Ships processed orders, retrying failed attempts with delayed messages; `resume` goes on with
// a recovered order at its recorded attempt and time.
using shipper_actor =
  caf::typed_actor<caf::reacts_to<ship_atom, order>, caf::reacts_to<retry_atom, order, int32_t>,
                   caf::reacts_to<resume_atom, order, int32_t, timestamp>,
                   caf::reacts_to<finish_atom, order, int32_t>,
                   caf::reacts_to<timeout_atom, order, int32_t>>;

// Hands an order to the external processing system and on to the shipper.
using processor_actor = caf::typed_actor<caf::reacts_to<process_atom, order>,
                                         caf::reacts_to<finish_atom, order, timestamp>>;

// Queues the orders of one region, VIP first, and bounds what each processor holds.
using dispatcher_actor =
  caf::typed_actor<caf::reacts_to<process_atom, order>, caf::reacts_to<done_atom, std::string>,
                   caf::replies_to<in_flight_atom>::with<uint64_t>>;

// Checks each order and routes the valid ones to their region's dispatcher.
using validator_actor = caf::typed_actor<caf::reacts_to<order>>;

// The entry point of the flow: records an order durably, then lets it in.
using intake_actor = finished_listener::extend_with<admission_listener>::extend<
  caf::replies_to<submit_atom, order>::with<admission>,
  caf::reacts_to<submit_atom, order, admission_listener>,
  caf::reacts_to<take_atom, order, admission_listener>,
  caf::replies_to<recover_atom>::with<uint64_t>, caf::replies_to<in_flight_atom>::with<uint64_t>,
  caf::reacts_to<resume_atom, std::vector<stored_order>>,
  caf::reacts_to<redrive_atom, std::vector<order_state>, std::string>>;

// Generates mock orders on a timer; `rate` sets orders per second.
using source_actor =
  caf::typed_actor<caf::reacts_to<tick_atom>, caf::reacts_to<pause_atom>,
                   caf::reacts_to<resume_atom>, caf::reacts_to<rate_atom, int32_t>>;

// Receives the ids of orders published to the broker, with the time of their confirm.
using published_listener =
  caf::typed_actor<caf::reacts_to<published_atom, std::vector<std::string>, timestamp>>;

// Receives the results that came back from the broker's results exchange.
using result_listener = caf::typed_actor<caf::reacts_to<result_atom, order_result>>;

// Matches published orders with their results; `check_results` answers how many were lost and
// how many came back late so far.
using broker_monitor_actor = published_listener::extend_with<result_listener>::extend<
  caf::reacts_to<tick_atom>, caf::replies_to<check_results_atom>::with<uint64_t, uint64_t>>;

// Stable references to the stages the supervisor restarts.
using validator_ref = stage_ref<validator_actor>;
using dispatcher_ref = stage_ref<dispatcher_actor>;
using dispatcher_refs = std::map<std::string, dispatcher_ref>;
using shipper_ref = stage_ref<shipper_actor>;
using error_channel_ref = stage_ref<error_channel_actor>;
using intake_ref = stage_ref<intake_actor>;
using aggregator_ref = stage_ref<aggregator_actor>;
using source_ref = stage_ref<source_actor>;
using broker_monitor_ref = stage_ref<broker_monitor_actor>;

}  // namespace ordernode
