#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/notifier.hpp"
#include "runtime/core/errors.hpp"
#include "tests/support/spawning.hpp"

using namespace ordernode;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Records what it delivers; fails its first `fail_first` sends and blocks `delay` in each.
class fake_channel : public notification_channel {
public:
  explicit fake_channel(std::string name, int fail_first = 0,
                        caf::timespan delay = caf::timespan{0})
      : name_(std::move(name)), fail_first_(fail_first), delay_(delay) {}

  std::string name() const override {
    return name_;
  }

  caf::error send(const notification& x) override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      attempts_.push_back(clock_type::now());
    }
    if (delay_.count() > 0)
      std::this_thread::sleep_for(delay_);
    std::lock_guard<std::mutex> guard{mtx_};
    if (static_cast<int>(attempts_.size()) <= fail_first_)
      return caf::make_error(caf::sec::runtime_error, name_ + ": endpoint down");
    received_.push_back(x);
    cv_.notify_all();
    return caf::none;
  }

  // Waits until `pred` holds for the delivered notifications.
  bool wait_for(const std::function<bool(const std::vector<notification>&)>& pred,
                caf::timespan timeout) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, timeout, [&] { return pred(received_); });
  }

  bool wait_for_count(size_t n, caf::timespan timeout = 5s) {
    return wait_for([n](auto& xs) { return xs.size() >= n; }, timeout);
  }

  std::vector<notification> received() {
    std::lock_guard<std::mutex> guard{mtx_};
    return received_;
  }

  std::vector<clock_type::time_point> attempts() {
    std::lock_guard<std::mutex> guard{mtx_};
    return attempts_;
  }

private:
  std::string name_;
  int fail_first_;
  caf::timespan delay_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<notification> received_;
  std::vector<clock_type::time_point> attempts_;
};

uint64_t total_of(const std::vector<notification>& xs) {
  uint64_t result = 0;
  for (auto& x : xs)
    result += x.total();
  return result;
}

error_report report(int i, error_type type = error_type::shipping) {
  return {"order-" + std::to_string(i), stage_id::shipper, type, "cause " + std::to_string(i),
          now()};
}

notifier_options fast_options() {
  notifier_options result;
  result.channels.clear();
  result.grouping_delay = 20ms;
  result.digest_window = 200ms;
  result.max_listed = 10;
  result.max_retries = 3;
  result.retry_delay = 50ms;
  result.max_retry_delay = 1s;
  return result;
}

struct fixture : ordernode::test::spawning<fixture> {
  fixture() : sys{cfg}, self{sys} {
    spdlog::set_level(spdlog::level::off);
  }

  ~fixture() {
    stop_spawned();
  }

  notifier_actor start(notifier_options options,
                       std::vector<std::shared_ptr<notification_channel>> channels) {
    auto result = sys.spawn(notifier, std::move(options), std::move(channels));
    track(result);
    return result;
  }

  notifier_stats stats(const notifier_actor& uut) {
    notifier_stats result;
    self->request(uut, 2s, stats_atom::value)
      .receive([&](notifier_stats& x) { result = x; },
               [&](caf::error& err) { FAIL("stats failed: ", describe(err)); });
    return result;
  }

  caf::actor_system_config cfg;
  caf::actor_system sys;
  caf::scoped_actor self;
};

}  // namespace

TEST_CASE("the default options turn on the mock channel only") {
  notifier_options x;
  CHECK_FALSE(check_notifier_options(x));
  auto channels = make_channels(x);
  REQUIRE(channels);
  REQUIRE(channels->size() == 1);
  CHECK(channels->front()->name() == "mock");
}

TEST_CASE("bad options name their key") {
  auto message_of = [](const notifier_options& x) {
    auto err = check_notifier_options(x);
    return err ? describe(err) : std::string{};
  };
  notifier_options x;
  x.channels = {"mock", "pager"};
  CHECK(message_of(x).find("notifier.channels: unknown channel \"pager\"") != std::string::npos);
  x.channels = {"mock", "mock"};
  CHECK(message_of(x).find("appears twice") != std::string::npos);
  x.channels = {"smtp"};
  CHECK(message_of(x).find("notifier.smtp-url") != std::string::npos);
  x.smtp = {"smtp://127.0.0.1:2525", "ordernode@example.com", {}};
  CHECK(message_of(x).find("notifier.smtp-to") != std::string::npos);
  x.smtp.to = {"ops@example.com\r\nBcc: x@example.com"};
  CHECK(message_of(x).find("notifier.smtp-to") != std::string::npos);
  x.smtp.to = {"ops@example.com"};
  CHECK(message_of(x).empty());
  x.channels = {"slack"};
  CHECK(message_of(x).find("notifier.slack-url") != std::string::npos);
  x.channels = {"sms"};
  x.sms.url = "http://127.0.0.1:9000/send";
  CHECK(message_of(x).find("notifier.sms-to") != std::string::npos);
  x = notifier_options{};
  x.digest_window = caf::timespan{0};
  CHECK(message_of(x).find("notifier.digest-window") != std::string::npos);
  x = notifier_options{};
  x.timeouts.connect = caf::timespan{0};
  CHECK(message_of(x).find("notifier.connect-timeout") != std::string::npos);
  x = notifier_options{};
  x.channels = {"mock", "smtp", "slack", "sms"};
  x.smtp = {"smtp://127.0.0.1:2525", "a@example.com", {"b@example.com"}};
  x.slack.url = "http://127.0.0.1:9000/hook";
  x.sms = {"http://127.0.0.1:9000/send", "+1", 640};
  auto channels = make_channels(x);
  REQUIRE(channels);
  REQUIRE(channels->size() == 4);
  CHECK((*channels)[1]->name() == "smtp");
  CHECK((*channels)[2]->name() == "slack");
  CHECK((*channels)[3]->name() == "sms");
}

TEST_CASE_FIXTURE(fixture, "a storm of 1000 errors arrives as a few digests") {
  auto ch = std::make_shared<fake_channel>("fake");
  auto uut = start(fast_options(), {ch});
  for (int i = 0; i < 1000; ++i)
    self->send(uut, report(i, i % 10 == 0 ? error_type::validation : error_type::shipping));
  REQUIRE(ch->wait_for([](auto& xs) { return total_of(xs) >= 1000; }, 5s));
  auto got = ch->received();
  CHECK(got.size() < 10);
  CHECK(total_of(got) == 1000);
  uint64_t validation = 0;
  for (auto& x : got) {
    CHECK(x.errors.size() <= 10);
    CHECK(x.window_start <= x.window_end);
    validation += x.counts["validation"];
  }
  CHECK(validation == 100);
  CHECK(got.front().errors.front().order_id == "order-0");
  auto st = stats(uut);
  CHECK(st.reports == 1000);
  CHECK(st.notifications == got.size());
  CHECK(st.pending == 0);
  std::this_thread::sleep_for(300ms);
  CHECK(ch->received().size() == got.size());
}

TEST_CASE_FIXTURE(fixture, "a storm spread over several windows gives one digest per window") {
  auto ch = std::make_shared<fake_channel>("fake");
  auto uut = start(fast_options(), {ch});
  auto t0 = clock_type::now();
  for (int i = 0; i < 1000; ++i) {
    self->send(uut, report(i));
    std::this_thread::sleep_until(t0 + i * 700us);
  }
  auto took = seconds_since(t0);
  REQUIRE(ch->wait_for([](auto& xs) { return total_of(xs) >= 1000; }, 5s));
  auto got = ch->received();
  INFO("took ", took, " s, ", got.size(), " notifications");
  CHECK(got.size() >= 2);
  CHECK(got.size() <= static_cast<size_t>(took / 0.2) + 3);
  CHECK(total_of(got) == 1000);
  for (size_t i = 1; i < got.size(); ++i)
    CHECK(got[i - 1].window_end <= got[i].window_start);
}

TEST_CASE_FIXTURE(fixture, "the first error after a quiet period goes out at once") {
  auto ch = std::make_shared<fake_channel>("fake");
  auto options = fast_options();
  options.digest_window = 500ms;
  auto uut = start(options, {ch});
  auto t0 = clock_type::now();
  self->send(uut, report(1));
  REQUIRE(ch->wait_for_count(1));
  CHECK(seconds_since(t0) < 0.4);
  auto first = ch->received().front();
  CHECK(first.total() == 1);
  CHECK(first.subject() == "[ordernode] shipping error, order order-1 (shipper)");
  // Inside the window: held for the digest.
  auto t1 = clock_type::now();
  self->send(uut, report(2));
  REQUIRE(ch->wait_for_count(2));
  CHECK(seconds_since(t1) > 0.3);
  // A window without errors ends the storm.
  std::this_thread::sleep_for(700ms);
  auto t2 = clock_type::now();
  self->send(uut, report(3));
  REQUIRE(ch->wait_for_count(3));
  CHECK(seconds_since(t2) < 0.4);
  auto got = ch->received();
  CHECK(got[1].errors.front().order_id == "order-2");
  CHECK(got[2].errors.front().order_id == "order-3");
}

TEST_CASE_FIXTURE(fixture, "every channel gets every digest") {
  auto a = std::make_shared<fake_channel>("a");
  auto b = std::make_shared<fake_channel>("b");
  auto uut = start(fast_options(), {a, b});
  for (int i = 0; i < 50; ++i)
    self->send(uut, report(i));
  for (auto& ch : {a, b})
    REQUIRE(ch->wait_for([](auto& xs) { return total_of(xs) >= 50; }, 5s));
  CHECK(a->received().size() == b->received().size());
}

TEST_CASE_FIXTURE(fixture, "a channel that fails twice is retried with backoff and delivers") {
  auto ch = std::make_shared<fake_channel>("flaky", 2);
  auto uut = start(fast_options(), {ch});
  self->send(uut, report(7));
  REQUIRE(ch->wait_for_count(1));
  auto attempts = ch->attempts();
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[1] - attempts[0] >= 45ms);
  CHECK(attempts[2] - attempts[1] >= 95ms);
  auto got = ch->received();
  REQUIRE(got.size() == 1);
  CHECK(got.front().errors.front().order_id == "order-7");
}

TEST_CASE_FIXTURE(fixture, "after max-retries the channel gives up and moves on") {
  auto ch = std::make_shared<fake_channel>("down", 3);
  auto options = fast_options();
  options.max_retries = 2;
  auto uut = start(options, {ch});
  self->send(uut, report(1));
  std::this_thread::sleep_for(500ms);
  CHECK(ch->attempts().size() == 3);
  CHECK(ch->received().empty());
  self->send(uut, report(2));
  REQUIRE(ch->wait_for_count(1));
  CHECK(ch->received().front().errors.front().order_id == "order-2");
  CHECK(ch->attempts().size() == 4);
}

TEST_CASE_FIXTURE(fixture, "a blocking channel delays neither the notifier nor other channels") {
  auto slow = std::make_shared<fake_channel>("slow", 0, 2s);
  auto fast = std::make_shared<fake_channel>("fast");
  auto uut = start(fast_options(), {slow, fast});
  auto t0 = clock_type::now();
  self->send(uut, report(1));
  REQUIRE(fast->wait_for_count(1, 1s));
  CHECK(seconds_since(t0) < 0.5);
  CHECK(slow->received().empty());
  // While the slow channel blocks, reports keep being taken and digests keep flowing.
  for (int i = 2; i <= 100; ++i)
    self->send(uut, report(i));
  auto t1 = clock_type::now();
  auto st = stats(uut);
  CHECK(seconds_since(t1) < 0.1);
  CHECK(st.reports == 100);
  REQUIRE(fast->wait_for([](auto& xs) { return total_of(xs) >= 100; }, 1s));
  CHECK(seconds_since(t0) < 1.5);
  CHECK(slow->received().empty());
  REQUIRE(slow->wait_for([](auto& xs) { return total_of(xs) >= 100; }, 6s));
}

TEST_CASE_FIXTURE(fixture, "a channel that falls behind drops its oldest notifications") {
  auto ch = std::make_shared<fake_channel>("slow", 0, 800ms);
  auto options = fast_options();
  options.queue_limit = 2;
  auto worker = sys.spawn<caf::detached>(channel_worker, ch, options);
  track(worker);
  for (int i = 1; i <= 6; ++i) {
    notification x;
    x.add(report(i), 10);
    self->send(worker, std::move(x));
  }
  bool drained = false;
  self->request(worker, 5s, flush_atom::value)
    .receive([&](bool x) { drained = x; },
             [&](caf::error& err) { FAIL("flush failed: ", describe(err)); });
  CHECK(drained);
  auto got = ch->received();
  REQUIRE(got.size() >= 2);
  CHECK(got.size() <= 3);
  CHECK(got[got.size() - 2].errors.front().order_id == "order-5");
  CHECK(got.back().errors.front().order_id == "order-6");
}

TEST_CASE_FIXTURE(fixture, "flush sends what is pending and waits for the channels") {
  auto ch = std::make_shared<fake_channel>("fake", 0, 100ms);
  auto options = fast_options();
  options.grouping_delay = 10s;
  auto uut = start(options, {ch});
  for (int i = 0; i < 3; ++i)
    self->send(uut, report(i));
  auto t0 = clock_type::now();
  bool done = false;
  self->request(uut, 5s, flush_atom::value)
    .receive([&](bool x) { done = x; },
             [&](caf::error& err) { FAIL("flush failed: ", describe(err)); });
  CHECK(done);
  CHECK(seconds_since(t0) < 2.0);
  auto got = ch->received();
  REQUIRE(got.size() == 1);
  CHECK(got.front().total() == 3);
}
