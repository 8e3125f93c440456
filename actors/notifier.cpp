#include "actors/notifier.hpp"

#include <algorithm>
#include <exception>
#include <set>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/notify/mock_channel.hpp"
#include "runtime/core/time_format.hpp"

namespace ordernode {

namespace {

bool has_line_break(const std::string& x) {
  return x.find_first_of("\r\n") != std::string::npos;
}

int64_t millis(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x).count();
}

// The message of a channel's error without CAF's decoration.
std::string reason_of(const caf::error& err) {
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  return describe(err);
}

caf::error guarded_send(notification_channel& channel, const notification& x) {
  try {
    return channel.send(x);
  } catch (const std::exception& ex) {
    return caf::make_error(caf::sec::runtime_error, channel.name() + ": " + ex.what());
  } catch (...) {
    return caf::make_error(caf::sec::runtime_error, channel.name() + ": unknown exception");
  }
}

using worker_pointer = channel_worker_actor::stateful_pointer<channel_worker_state>;

void schedule(worker_pointer self, caf::timespan delay) {
  auto& st = self->state;
  st.scheduled = true;
  ++st.generation;
  if (delay.count() > 0)
    self->delayed_send(self, delay, retry_atom::value, st.generation);
  else
    self->send(self, retry_atom::value, st.generation);
}

void finish_front(worker_pointer self) {
  auto& st = self->state;
  st.queue.pop_front();
  st.failed_attempts = 0;
  if (!st.queue.empty()) {
    schedule(self, caf::timespan{0});
    return;
  }
  for (auto& rp : st.flushes)
    rp.deliver(true);
  st.flushes.clear();
}

// Tries the oldest queued notification once.
void deliver_front(worker_pointer self, const notifier_options& options) {
  auto& st = self->state;
  st.scheduled = false;
  if (st.queue.empty())
    return;
  auto& x = st.queue.front();
  auto name = st.channel->name();
  auto err = guarded_send(*st.channel, x);
  if (!err) {
    spdlog::info("notifier: {} delivered \"{}\"", name, x.subject());
    finish_front(self);
    return;
  }
  auto attempts = ++st.failed_attempts;
  if (attempts > options.max_retries) {
    spdlog::error("notifier: {} gave up on \"{}\" after {} attempts: {}", name, x.subject(),
                  attempts, reason_of(err));
    finish_front(self);
    return;
  }
  auto delay = options.retry_delay;
  for (int32_t i = 1; i < attempts && delay < options.max_retry_delay; ++i)
    delay *= 2;
  delay = std::min(delay, options.max_retry_delay);
  spdlog::warn("notifier: {} failed to deliver \"{}\" (attempt {}): {}; retrying in {} ms", name,
               x.subject(), attempts, reason_of(err), millis(delay));
  schedule(self, delay);
}

}  // namespace

option_table option_table_of(notifier_options& x) {
  option_table result{"notifier"};
  result.add(x.channels, "channels", "notification channels: mock, smtp, slack, sms")
    .add(x.grouping_delay, "grouping-delay", "wait before the first notification of a storm",
         span_rule::not_negative)
    .add(x.digest_window, "digest-window", "errors within a window become one digest",
         span_rule::positive)
    .add(x.max_listed, "max-listed", "errors a digest lists", 1, 10000)
    .add(x.max_retries, "max-retries", "retries of a failed delivery", 0, 100)
    .add(x.retry_delay, "retry-delay", "first retry delay, doubling", span_rule::positive)
    .add(x.max_retry_delay, "max-retry-delay", "longest retry delay", span_rule::positive)
    .add(x.queue_limit, "queue-limit", "notifications a channel holds while down", 1, 1000000)
    .add(x.timeouts.connect, "connect-timeout", "connect timeout per delivery", span_rule::positive)
    .add(x.timeouts.total, "timeout", "total timeout per delivery", span_rule::positive)
    .add(x.mock_file, "mock-file", "JSON-lines file of the mock channel")
    .add(x.smtp.url, "smtp-url", "smtp://host:port of the mail server")
    .add(x.smtp.from, "smtp-from", "sender address")
    .add(x.smtp.to, "smtp-to", "recipient addresses")
    .add(x.slack.url, "slack-url", "Slack incoming-webhook URL")
    .add(x.sms.url, "sms-url", "SMS gateway URL")
    .add(x.sms.to, "sms-to", "phone number the SMS gateway texts");
  auto on = [&x](const char* channel) {
    return std::find(x.channels.begin(), x.channels.end(), channel) != x.channels.end();
  };
  result
    .rule("channels",
          [&x] {
            static const std::set<std::string> known{"mock", "smtp", "slack", "sms"};
            std::set<std::string> seen;
            for (auto& name : x.channels) {
              if (known.count(name) == 0)
                return "unknown channel \"" + name + "\" (known: mock, smtp, slack, sms)";
              if (!seen.insert(name).second)
                return "channel \"" + name + "\" appears twice";
            }
            return std::string{};
          })
    .rule("max-retry-delay",
          [&x] {
            return x.max_retry_delay < x.retry_delay ? "must not be below notifier.retry-delay"
                                                     : std::string{};
          })
    .rule("smtp-url",
          [&x, on] {
            return on("smtp") && x.smtp.url.empty() ? "must be set when the smtp channel is on"
                                                    : std::string{};
          })
    .rule("smtp-from",
          [&x, on] {
            return on("smtp") && (x.smtp.from.empty() || has_line_break(x.smtp.from))
                     ? "must be one address when the smtp channel is on"
                     : std::string{};
          })
    .rule("smtp-to",
          [&x, on] {
            if (!on("smtp"))
              return std::string{};
            if (x.smtp.to.empty())
              return std::string{"must name at least one address when the smtp channel is on"};
            for (auto& addr : x.smtp.to)
              if (addr.empty() || has_line_break(addr))
                return std::string{"an address must be one non-empty line"};
            return std::string{};
          })
    .rule("slack-url",
          [&x, on] {
            return on("slack") && x.slack.url.empty() ? "must be set when the slack channel is on"
                                                      : std::string{};
          })
    .rule("sms-url",
          [&x, on] {
            return on("sms") && x.sms.url.empty() ? "must be set when the sms channel is on"
                                                  : std::string{};
          })
    .rule("sms-to", [&x, on] {
      return on("sms") && x.sms.to.empty() ? "must be set when the sms channel is on"
                                           : std::string{};
    });
  return result;
}

caf::error check_notifier_options(const notifier_options& x) {
  auto copy = x;
  return option_table_of(copy).apply();
}

caf::expected<std::vector<std::shared_ptr<notification_channel>>> make_channels(
  const notifier_options& x) {
  if (auto err = check_notifier_options(x))
    return err;
  std::vector<std::shared_ptr<notification_channel>> result;
  for (auto& name : x.channels) {
    if (name == "mock")
      result.push_back(std::make_shared<mock_channel>(x.mock_file));
    else if (name == "smtp")
      result.push_back(std::make_shared<smtp_channel>(x.smtp, x.timeouts));
    else if (name == "slack")
      result.push_back(std::make_shared<slack_channel>(x.slack, x.timeouts));
    else
      result.push_back(std::make_shared<sms_channel>(x.sms, x.timeouts));
  }
  return result;
}

channel_worker_actor::behavior_type channel_worker(worker_pointer self,
                                                   std::shared_ptr<notification_channel> channel,
                                                   notifier_options options) {
  self->state.channel = std::move(channel);
  return {
    [=](notification& x) {
      auto& st = self->state;
      st.queue.push_back(std::move(x));
      if (st.queue.size() > static_cast<size_t>(options.queue_limit)) {
        spdlog::warn("notifier: {} is behind, dropped \"{}\" ({} notifications queued)",
                     st.channel->name(), st.queue.front().subject(), st.queue.size() - 1);
        st.queue.pop_front();
        st.failed_attempts = 0;
      }
      // Delivering later lets notifications that queued up in the mailbox during a blocking
      // send reach the queue, and its limit, first.
      if (!st.scheduled)
        schedule(self, caf::timespan{0});
    },
    [=](retry_atom, uint64_t generation) {
      if (generation == self->state.generation)
        deliver_front(self, options);
    },
    [=](flush_atom) -> caf::result<bool> {
      auto& st = self->state;
      if (st.queue.empty())
        return true;
      auto rp = self->make_response_promise<bool>();
      st.flushes.push_back(rp);
      return rp;
    },
  };
}

notifier_actor::behavior_type notifier(
  notifier_actor::stateful_pointer<notifier_state> self, notifier_options options,
  std::vector<std::shared_ptr<notification_channel>> channels) {
  std::string names;
  for (auto& ch : channels) {
    names += names.empty() ? ch->name() : ", " + ch->name();
    auto worker = self->spawn<caf::detached + caf::linked>(channel_worker, ch, options);
    self->state.workers.emplace_back(ch->name(), std::move(worker));
  }
  spdlog::info("notifier: channels [{}], grouping delay {} ms, digest window {} ms", names,
               millis(options.grouping_delay), millis(options.digest_window));
  auto max_listed = static_cast<size_t>(std::max(options.max_listed, 1));
  auto emit = [=] {
    auto& st = self->state;
    auto at = now();
    st.pending.window_end = at;
    ++st.stats.notifications;
    spdlog::debug("notifier: {} errors since {} go to {} channels", st.pending.total(),
                  iso8601(st.pending.window_start), st.workers.size());
    for (auto& [name, worker] : st.workers)
      self->send(worker, st.pending);
    st.pending = notification{};
    st.pending.window_start = at;
    st.stats.pending = 0;
  };
  auto arm = [=](caf::timespan delay) {
    auto& st = self->state;
    st.active = true;
    self->delayed_send(self, delay, digest_atom::value, ++st.generation);
  };
  return {
    [=](error_report& x) {
      auto& st = self->state;
      if (x.at == 0)
        x.at = now();
      ++st.stats.reports;
      ++st.stats.pending;
      if (!st.active)
        st.pending.window_start = now();
      st.pending.add(std::move(x), max_listed);
      if (st.active)
        return;
      if (options.grouping_delay.count() > 0) {
        arm(options.grouping_delay);
        return;
      }
      emit();
      arm(options.digest_window);
    },
    [=](digest_atom, uint64_t generation) {
      auto& st = self->state;
      if (generation != st.generation)
        return;
      if (st.pending.empty()) {
        st.active = false;
        return;
      }
      emit();
      arm(options.digest_window);
    },
    [=](flush_atom) -> caf::result<bool> {
      auto& st = self->state;
      if (!st.pending.empty())
        emit();
      if (st.workers.empty())
        return true;
      auto rp = self->make_response_promise<bool>();
      auto left = std::make_shared<size_t>(st.workers.size());
      for (auto& [name, worker] : st.workers)
        self->request(worker, caf::infinite, flush_atom::value)
          .then(
            [=](bool) mutable {
              if (*left > 0 && --*left == 0)
                rp.deliver(true);
            },
            [=](caf::error& err) mutable {
              if (*left > 0) {
                *left = 0;
                rp.deliver(std::move(err));
              }
            });
      return rp;
    },
    [=](stats_atom) { return self->state.stats; },
  };
}

}  // namespace ordernode
