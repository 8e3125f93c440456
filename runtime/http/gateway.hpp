// The HTTP server's door into the actor system: submissions, totals and the change feed,
// answered through callbacks so that no HTTP thread ever waits on an actor.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "runtime/core/stages.hpp"

namespace ordernode {

class flow_gateway {
public:
  using admission_callback = std::function<void(const admission_note&)>;
  using totals_callback = std::function<void(caf::expected<totals>)>;
  using changes_callback = std::function<void(std::vector<order_change>)>;

  // `on_changes` receives the journal's committed state changes while watch_changes is on.
  flow_gateway(caf::actor_system& sys, intake_ref intake, aggregator_ref aggregator,
               journal_actor journal, changes_callback on_changes);

  flow_gateway(const flow_gateway&) = delete;
  flow_gateway& operator=(const flow_gateway&) = delete;

  // Stops the gateway's actor and drops the callbacks that have not run.
  ~flow_gateway();

  // Submits `x` to the intake, with the gateway as the batched admission listener, unless an
  // order with the same id is on its way already: then `done` joins its waiters when `x` is
  // the same order, and gets the outcome `duplicate` once the first is in (or the first one's
  // refusal or forwarding); for a different order it gets the refusal `conflict` at once.
  // `done` runs once, on a thread of the actor system or, for a conflict, on the caller's.
  void submit(order x, admission_callback done);

  // Asks the aggregator for its totals; `done` runs once.
  void fetch_totals(totals_callback done);

  // Subscribes to the journal's change feed, or unsubscribes.
  void watch_changes(bool on);

  // False once the journal actor stopped.
  bool journal_up() const;

  // Drops every callback that has not run, and ignores outcomes from now on.
  void close();

  struct shared;

private:
  std::shared_ptr<shared> shared_;
  intake_ref intake_;
  caf::actor actor_;
};

}  // namespace ordernode
