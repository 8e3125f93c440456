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

caf::error bad(const std::string& key, const std::string& why) {
  return make_error(errc::bad_config, "notifier." + key + ": " + why);
}

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

caf::error check_notifier_options(const notifier_options& x) {
  static const std::set<std::string> known{"mock", "smtp", "slack", "sms"};
  std::set<std::string> seen;
  for (auto& name : x.channels) {
    if (known.count(name) == 0)
      return bad("channels", "unknown channel \"" + name + "\" (known: mock, smtp, slack, sms)");
    if (!seen.insert(name).second)
      return bad("channels", "channel \"" + name + "\" appears twice");
  }
  if (x.grouping_delay.count() < 0)
    return bad("grouping-delay", "must not be negative");
  if (x.digest_window.count() <= 0)
    return bad("digest-window", "must be a positive duration");
  if (x.max_listed < 1 || x.max_listed > 10000)
    return bad("max-listed", "must be 1 to 10000, got " + std::to_string(x.max_listed));
  if (x.max_retries < 0 || x.max_retries > 100)
    return bad("max-retries", "must be 0 to 100, got " + std::to_string(x.max_retries));
  if (x.retry_delay.count() <= 0)
    return bad("retry-delay", "must be a positive duration");
  if (x.max_retry_delay < x.retry_delay)
    return bad("max-retry-delay", "must not be below notifier.retry-delay");
  if (x.queue_limit < 1)
    return bad("queue-limit", "must be at least 1");
  if (x.timeouts.connect.count() <= 0)
    return bad("connect-timeout", "must be a positive duration");
  if (x.timeouts.total.count() <= 0)
    return bad("timeout", "must be a positive duration");
  if (seen.count("smtp") > 0) {
    if (x.smtp.url.empty())
      return bad("smtp-url", "must be set when the smtp channel is on");
    if (x.smtp.from.empty() || has_line_break(x.smtp.from))
      return bad("smtp-from", "must be one address when the smtp channel is on");
    if (x.smtp.to.empty())
      return bad("smtp-to", "must name at least one address when the smtp channel is on");
    for (auto& addr : x.smtp.to)
      if (addr.empty() || has_line_break(addr))
        return bad("smtp-to", "an address must be one non-empty line");
  }
  if (seen.count("slack") > 0 && x.slack.url.empty())
    return bad("slack-url", "must be set when the slack channel is on");
  if (seen.count("sms") > 0) {
    if (x.sms.url.empty())
      return bad("sms-url", "must be set when the sms channel is on");
    if (x.sms.to.empty())
      return bad("sms-to", "must be set when the sms channel is on");
  }
  return caf::none;
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
