// The notifier: tells people about errors by mail, Slack, SMS or a file, batching storms of
// errors into digests, with every channel delivering on its own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <caf/typed_response_promise.hpp>

#include "runtime/notify/channel.hpp"
#include "runtime/notify/curl_transfer.hpp"
#include "runtime/notify/slack_channel.hpp"
#include "runtime/notify/sms_channel.hpp"
#include "runtime/notify/smtp_channel.hpp"
#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

using stats_atom = caf::atom_constant<caf::atom("stats")>;
using digest_atom = caf::atom_constant<caf::atom("digest")>;

struct notifier_options {
  // Any of "mock", "smtp", "slack", "sms".
  std::vector<std::string> channels{"mock"};
  // The first error after a quiet period goes out this long after it arrived, together with
  // whatever else arrived meanwhile.
  caf::timespan grouping_delay = std::chrono::seconds(1);
  // After each notification, errors collect for this long into the next digest; a window
  // without errors ends the storm.
  caf::timespan digest_window = std::chrono::seconds(10);
  // Errors a digest lists; it counts all of them by type.
  int32_t max_listed = 20;
  // A failed delivery is retried up to `max_retries` times, waiting `retry_delay`, then twice
  // as long each time, at most `max_retry_delay`.
  int32_t max_retries = 5;
  caf::timespan retry_delay = std::chrono::seconds(1);
  caf::timespan max_retry_delay = std::chrono::seconds(60);
  // Notifications one channel holds while it is down; beyond that the oldest are dropped.
  int32_t queue_limit = 16;
  transfer_timeouts timeouts;
  std::string mock_file = "notifications.jsonl";  // Empty: the mock channel only logs.
  smtp_options smtp;
  slack_options slack;
  sms_options sms;
};

// What the notifier did so far.
struct notifier_stats {
  uint64_t reports = 0;
  uint64_t notifications = 0;  // Handed to every channel, each counted once.
  uint64_t pending = 0;        // Reports waiting for the end of the current window.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, notifier_stats& x) {
  return f(caf::meta::type_name("notifier_stats"), x.reports, x.notifications, x.pending);
}

// Runs one channel on a thread of its own. `flush` answers once the queue is empty.
using channel_worker_actor =
  caf::typed_actor<caf::reacts_to<notification>, caf::reacts_to<retry_atom, uint64_t>,
                   caf::replies_to<flush_atom>::with<bool>>;

// Takes every error report and never blocks. `flush` sends the pending errors at once and
// answers once every channel's queue is empty (delivered or given up).
using notifier_actor =
  caf::typed_actor<caf::reacts_to<error_report>, caf::reacts_to<digest_atom, uint64_t>,
                   caf::replies_to<flush_atom>::with<bool>,
                   caf::replies_to<stats_atom>::with<notifier_stats>>;

using notifier_ref = stage_ref<notifier_actor>;

struct channel_worker_state {
  std::shared_ptr<notification_channel> channel;
  std::deque<notification> queue;
  int32_t failed_attempts = 0;  // Of queue.front().
  bool scheduled = false;       // A retry_atom with the current generation is on its way.
  uint64_t generation = 0;
  std::vector<caf::typed_response_promise<bool>> flushes;

  static inline const char* name = "notification_channel";
};

struct notifier_state {
  std::vector<std::pair<std::string, channel_worker_actor>> workers;
  notification pending;
  bool active = false;  // Inside a grouping delay or digest window.
  uint64_t generation = 0;
  notifier_stats stats;

  static inline const char* name = "notifier";
};

// The config keys notifier.*.
option_table option_table_of(notifier_options& x);

// Checks `x`; the error names the offending `notifier.*` key.
caf::error check_notifier_options(const notifier_options& x);

// The channels `x` turns on, in the order it names them.
caf::expected<std::vector<std::shared_ptr<notification_channel>>> make_channels(
  const notifier_options& x);

// Delivers notifications in order; a failure is retried with backoff while new notifications
// queue behind it, at most `queue_limit` of them. Run it detached: channels block.
channel_worker_actor::behavior_type channel_worker(
  channel_worker_actor::stateful_pointer<channel_worker_state> self,
  std::shared_ptr<notification_channel> channel, notifier_options options);

// Sends the first error of a quiet period after `grouping-delay`, then one digest per
// `digest-window` while errors keep coming, to every channel's worker (detached, linked).
notifier_actor::behavior_type notifier(notifier_actor::stateful_pointer<notifier_state> self,
                                       notifier_options options,
                                       std::vector<std::shared_ptr<notification_channel>> channels);

}  // namespace ordernode
