#include "runtime/node/config.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>
#include <set>
#include <thread>

#include <caf/config_option_set.hpp>
#include <caf/settings.hpp>

#include "runtime/admin/admin_protocol.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/messages.hpp"

namespace ordernode {

namespace {

caf::error bad(const std::string& key, const std::string& why) {
  return make_error(errc::bad_config, key + ": " + why);
}

caf::error check_range(const std::string& key, double value, double lo, double hi) {
  if (value < lo || value > hi)
    return bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi)
                      + ", got " + std::to_string(value));
  return caf::none;
}

caf::error check_positive(const std::string& key, caf::timespan value) {
  if (value.count() <= 0)
    return bad(key, "must be a positive duration");
  return caf::none;
}

caf::error check_not_negative(const std::string& key, caf::timespan value) {
  if (value.count() < 0)
    return bad(key, "must not be negative");
  return caf::none;
}

// "IP:PORT" or "[IPv6]:PORT" with a port from 0 to 65535.
caf::error check_bind(const std::string& key, const std::string& value) {
  auto fail = [&](const std::string& why) {
    return bad(key, why + ", got \"" + value + "\"");
  };
  auto colon = value.rfind(':');
  if (colon == std::string::npos)
    return fail("must be IP:PORT");
  auto host = value.substr(0, colon);
  auto port = value.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos
      || std::stoi(port) > 65535)
    return fail("needs a port from 0 to 65535");
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  in6_addr buf;
  if (inet_pton(AF_INET, host.c_str(), &buf) != 1 && inet_pton(AF_INET6, host.c_str(), &buf) != 1)
    return fail("needs an IP address such as 127.0.0.1 or [::1] before the port");
  return caf::none;
}

caf::error check_broker_options(const broker_options& x) {
  if (x.url.rfind("amqp://", 0) != 0)
    return bad("broker.url", "must start with amqp://, got \"" + x.url + "\"");
  if (x.exchange.empty())
    return bad("broker.exchange", "must not be empty");
  if (x.results_exchange.empty() || x.results_exchange == x.exchange)
    return bad("broker.results-exchange", "must be set and differ from broker.exchange");
  if (x.queue_prefix.empty())
    return bad("broker.queue-prefix", "must not be empty");
  if (x.node_id.empty())
    return bad("broker.node-id", "must not be empty");
  if (x.prefetch < 1 || x.prefetch > 65535)
    return check_range("broker.prefetch", x.prefetch, 1, 65535);
  if (x.batch < 1 || x.batch > 100000)
    return check_range("broker.batch", x.batch, 1, 100000);
  for (auto& [key, value] : {std::pair{"broker.poll-interval", x.poll_interval},
                             {"broker.reconnect-delay", x.reconnect_delay},
                             {"broker.max-reconnect-delay", x.max_reconnect_delay},
                             {"broker.confirm-timeout", x.confirm_timeout},
                             {"broker.result-deadline", x.result_deadline},
                             {"broker.delay-threshold", x.delay_threshold}})
    if (auto err = check_positive(key, value))
      return err;
  if (x.reconnect_delay > x.max_reconnect_delay)
    return bad("broker.reconnect-delay", "must not exceed broker.max-reconnect-delay");
  return caf::none;
}

}  // namespace

node_config::node_config() {
  // CAF starts at least four workers; on a small machine they would crowd out the journal.
  set("scheduler.max-threads",
      static_cast<size_t>(std::max(1u, std::thread::hardware_concurrency())));
  // An idle worker goes from spinning straight to waiting on its queue, skipping the phase
  // that polls every 50 us: that polling cost the node about a fifth of its CPU per order
  // (ordernode-http-bench, 2 cores), and work in a worker's own queue still wakes it at once.
  set("work-stealing.moderate-poll-attempts", size_t{0});
  add_error_category(caf::atom("ordernode"), render_error);
  add_message_type<order>("ordernode::order");
  add_message_type<order_event>("ordernode::order_event");
  add_message_type<error_report>("ordernode::error_report");
  add_message_type<finished_order>("ordernode::finished_order");
  add_message_type<std::vector<finished_order>>("std::vector<ordernode::finished_order>");
  add_message_type<stored_order>("ordernode::stored_order");
  add_message_type<std::vector<stored_order>>("std::vector<ordernode::stored_order>");
  add_message_type<totals>("ordernode::totals");
  add_message_type<order_state>("ordernode::order_state");
  add_message_type<admission>("ordernode::admission");
  add_message_type<admission_note>("ordernode::admission_note");
  add_message_type<std::vector<admission_note>>("std::vector<ordernode::admission_note>");
  add_admin_types(*this);
  add_message_type<order_change>("ordernode::order_change");
  add_message_type<std::vector<order_change>>("std::vector<ordernode::order_change>");
  add_message_type<refusal>("ordernode::refusal");
  own_options_ = custom_options_.size();
  opt_group{custom_options_, "global"}
    .add(version_requested, "version", "print the version and exit")
    .add(replay_dead_letters, "replay-dead-letters",
         "move dead-lettered orders back into the flow at start");
  opt_group{custom_options_, "source"}
    .add(source.enabled, "enabled", "generate mock orders")
    .add(source.interval, "interval", "time between two bursts of mock orders")
    .add(source.burst, "burst", "mock orders per interval")
    .add(source.vip_share, "vip-share", "share of VIP orders, 0 to 1")
    .add(source.invalid_share, "invalid-share", "share of invalid orders, 0 to 1")
    .add(source.print, "print", "print each generated order to stdout")
    .add(source.products, "products", "product names to draw from")
    .add(source.customers, "customers", "customer names to draw from");
  opt_group{custom_options_, "validation"}
    .add(validation.min_quantity, "min-quantity", "smallest valid quantity")
    .add(validation.max_quantity, "max-quantity", "largest valid quantity")
    .add(validation.max_name_length, "max-name-length", "longest valid product name")
    .add(validation.require_customer, "require-customer", "reject orders without a customer");
  opt_group{custom_options_, "routing"}.add(
    regions, "regions", "regions, each with an optional worker count: [\"eu=4\", \"us\"]");
  opt_group{custom_options_, "processor"}
    .add(processor.workers, "workers", "processors per region (0: number of cores)")
    .add(processor.max_in_flight, "max-in-flight", "orders one processor holds at once")
    .add(processor.latency, "latency", "latency of the mock processing system")
    .add(processor.failure_rate, "failure-rate", "share of failing orders, 0 to 1")
    .add(processor.fail_match, "fail-match", "products containing this always fail");
  opt_group{custom_options_, "shipper"}
    .add(shipper.latency, "latency", "latency of the mock shipping system")
    .add(shipper.failure_rate, "failure-rate", "share of failing attempts, 0 to 1")
    .add(shipper.max_retries, "max-retries", "retries after a failed attempt")
    .add(shipper.retry_delay, "retry-delay", "time between two attempts")
    .add(shipper.backoff, "backoff", "\"fixed\" or \"exponential\" (doubling) retry delays")
    .add(shipper.max_retry_delay, "max-retry-delay", "longest exponential retry delay")
    .add(shipper.jitter, "jitter", "random share by which a retry delay varies, 0 to 1")
    .add(shipper.fail_match, "fail-match", "products containing this fail their first attempts")
    .add(shipper.fail_first, "fail-first", "failing attempts of fail-match products")
    .add(shipper.attempt_timeout, "attempt-timeout",
         "an attempt without an answer fails after this")
    .add(shipper.hang_match, "hang-match", "products containing this never get an answer")
    .add(shipper.ledger, "ledger", "file where the mock carrier records each shipment once");
  opt_group{custom_options_, "journal"}
    .add(journal.path, "path", "SQLite file of the order journal")
    .add(journal.max_batch, "max-batch", "most rows in one commit")
    .add(journal.synchronous, "synchronous", "\"normal\" or \"full\" (fsync every commit)")
    .add(journal.wal_limit_mib, "wal-limit", "MiB of write-ahead log before it starts over")
    .add(journal.failures_file, "failures-file",
         "also append each failed order to this JSON-lines file");
  opt_group{custom_options_, "supervisor"}
    .add(supervisor.max_restarts, "max-restarts",
         "restarts within the window before the node stops")
    .add(supervisor.restart_window, "restart-window", "window in which restarts are counted")
    .add(supervisor.backoff, "backoff", "delay before a restart, doubling within the window")
    .add(supervisor.max_backoff, "max-backoff", "longest delay before a restart")
    .add(supervisor.inject_crash, "inject-crash", "crash stages once for tests: [\"shipper@2s\"]");
  opt_group{custom_options_, "notifier"}
    .add(notifier.channels, "channels", "notification channels: mock, smtp, slack, sms")
    .add(notifier.grouping_delay, "grouping-delay", "wait before the first notification of a storm")
    .add(notifier.digest_window, "digest-window", "errors within a window become one digest")
    .add(notifier.max_listed, "max-listed", "errors a digest lists")
    .add(notifier.max_retries, "max-retries", "retries of a failed delivery")
    .add(notifier.retry_delay, "retry-delay", "first retry delay, doubling")
    .add(notifier.max_retry_delay, "max-retry-delay", "longest retry delay")
    .add(notifier.queue_limit, "queue-limit", "notifications a channel holds while down")
    .add(notifier.timeouts.connect, "connect-timeout", "connect timeout per delivery")
    .add(notifier.timeouts.total, "timeout", "total timeout per delivery")
    .add(notifier.mock_file, "mock-file", "JSON-lines file of the mock channel")
    .add(notifier.smtp.url, "smtp-url", "smtp://host:port of the mail server")
    .add(notifier.smtp.from, "smtp-from", "sender address")
    .add(notifier.smtp.to, "smtp-to", "recipient addresses")
    .add(notifier.slack.url, "slack-url", "Slack incoming-webhook URL")
    .add(notifier.sms.url, "sms-url", "SMS gateway URL")
    .add(notifier.sms.to, "sms-to", "phone number the SMS gateway texts");
  opt_group{custom_options_, "aggregator"}.add(node.report_interval, "report-interval",
                                               "time between two totals log lines");
  opt_group{custom_options_, "node"}
    .add(node.max_in_flight, "max-in-flight", "accepted orders not yet finished, at most")
    .add(node.max_recoveries, "max-recoveries",
         "restarts an unfinished order may see before it is dead-lettered")
    .add(node.shutdown_deadline, "shutdown-deadline", "time to finish in-flight orders on exit");
  opt_group{custom_options_, "admin"}
    .add(admin.port, "port", "TCP port of the admin endpoint for ordernode-shell (0: off)")
    .add(admin.bind, "bind", "address the admin endpoint listens on")
    .add(admin.token, "token",
         "token every admin command must carry (empty: generated into admin.token-file)")
    .add(admin.token_file, "token-file",
         "file of the generated token, mode 0600 (empty: ordernode-admin.token by the journal)")
    .add(admin.max_message, "max-message",
         "bytes of one message from an admin peer; a larger one closes its connection");
  opt_group{custom_options_, "http"}
    .add(http.enabled, "enabled", "serve the HTTP API, the /ws feed and the web page")
    .add(http.bind, "bind", "host:port the HTTP server listens on (port 0: any free port)")
    .add(http.threads, "threads", "threads of the HTTP server")
    .add(http.body_limit, "body-limit", "largest request body in bytes")
    .add(http.request_timeout, "request-timeout", "a request without an answer gets 503 after this")
    .add(http.idle_timeout, "idle-timeout", "an idle keep-alive connection closes after this")
    .add(http.retry_after, "retry-after", "seconds in the Retry-After header of a 503")
    .add(http.list_limit, "list-limit", "most orders in one page of GET /api/orders")
    .add(http.ws_queue_limit, "ws-queue-limit",
         "bytes a slow WebSocket client may lag behind before it skips ahead")
    .add(http.static_dir, "static-dir", "folder of the web page (empty: the one that ships)")
    .add(http.max_connections, "max-connections",
         "most open connections, WebSockets included; one more gets 503 and is closed")
    .add(http.ws_max_clients, "ws-max-clients", "most /ws clients; one more upgrade gets 503");
  opt_group{custom_options_, "metrics"}.add(
    metrics.bind, "bind", "host:port serving Prometheus /metrics (port 0: any; empty: off)");
  opt_group{custom_options_, "watchdog"}
    .add(watchdog.enabled, "enabled", "raise alerts through the notifier from the node's numbers")
    .add(watchdog.interval, "interval", "time between two checks")
    .add(watchdog.window, "window", "time over which rates are measured")
    .add(watchdog.throughput_drop, "throughput-drop",
         "alert when throughput falls below this share of the window before, 0 to 1")
    .add(watchdog.min_throughput, "min-throughput",
         "orders/s the window before needs for a throughput drop to count")
    .add(watchdog.error_ratio, "error-ratio", "alert when more of the finished orders fail, 0 to 1")
    .add(watchdog.min_orders, "min-orders", "finished orders a window needs for the error rate")
    .add(watchdog.broker_lag, "broker-lag", "alert when the oldest broker message is this old");
  opt_group{custom_options_, "broker"}
    .add(broker.enabled, "enabled", "connect to RabbitMQ (off: the node runs without a broker)")
    .add(broker.url, "url", "amqp://user:password@host:port of the broker")
    .add(broker.publish, "publish",
         "send accepted orders through the broker instead of straight into the local flow")
    .add(broker.consume, "consume", "consume the queues of this node's regions")
    .add(broker.results, "results", "publish each finished order to the results exchange")
    .add(broker.exchange, "exchange", "topic exchange of orders, routed by region")
    .add(broker.results_exchange, "results-exchange", "topic exchange of results")
    .add(broker.queue_prefix, "queue-prefix", "queue of region R: this prefix followed by R")
    .add(broker.node_id, "node-id", "names this node's results queue; unique per node")
    .add(broker.prefetch, "prefetch", "unacknowledged deliveries per queue, at most")
    .add(broker.batch, "batch", "outbox messages published per round of confirms")
    .add(broker.poll_interval, "poll-interval", "time between two looks into an empty outbox")
    .add(broker.reconnect_delay, "reconnect-delay", "first delay before a reconnect, doubling")
    .add(broker.max_reconnect_delay, "max-reconnect-delay", "longest delay before a reconnect")
    .add(broker.confirm_timeout, "confirm-timeout",
         "connect timeout, and the longest wait for publisher confirms")
    .add(broker.result_deadline, "result-deadline",
         "report a published order lost when its result takes longer")
    .add(broker.delay_threshold, "delay-threshold",
         "report a result that comes back later than this after its publish");
  opt_group{custom_options_, "log"}
    .add(node.log_level, "level", "trace, debug, info, warn, error or off")
    .add(node.log_file, "file", "also append the log to this file");
  for (auto i = custom_options_.begin() + static_cast<ptrdiff_t>(own_options_);
       i != custom_options_.end(); ++i) {
    auto value = i->get();
    std::ostringstream text;
    if (value && caf::holds_alternative<double>(*value))
      text << caf::get<double>(*value);
    else if (value)
      text << caf::to_string(*value);
    defaults_.push_back(text.str());
  }
}

std::string node_config::options_help() const {
  std::string result =
    "Usage: ordernode [--config-file=FILE] [--GROUP.KEY=VALUE ...]\n"
    "A config file takes the same keys: KEY = VALUE under a [GROUP] line. CAF's own options\n"
    "(scheduler, middleman, ...) are listed by --long-help.\n";
  std::string group;
  size_t k = 0;
  for (auto i = custom_options_.begin() + static_cast<ptrdiff_t>(own_options_);
       i != custom_options_.end(); ++i, ++k) {
    auto category = std::string{i->category().data(), i->category().size()};
    if (category != group) {
      group = category;
      result += "\n[" + group + "]\n";
    }
    auto name = std::string{i->full_name().data(), i->full_name().size()};
    if (group == "global")
      name = std::string{i->long_name().data(), i->long_name().size()};
    std::string line = "  --" + name;
    if (!i->is_flag() || defaults_[k] != "false")
      line += "=" + defaults_[k];
    if (line.size() + 2 > 44)
      line += "\n" + std::string(44, ' ');
    else
      line.resize(44, ' ');
    result += line + std::string{i->description().data(), i->description().size()} + "\n";
  }
  return result;
}

namespace {

constexpr off_t max_config_file_size = 1 << 20;

// CAF reads the config file with an ifstream: a folder or /dev/zero would be skipped or read
// without end, and opening a FIFO would block the node before it can take a signal.
caf::error check_config_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return make_error(errc::bad_config,
                      "config file " + path + ": cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return make_error(errc::bad_config, "config file " + path + ": is not a regular file");
  if (st.st_size > max_config_file_size)
    return make_error(errc::bad_config, "config file " + path + ": is larger than "
                                          + std::to_string(max_config_file_size >> 20) + " MiB");
  if (::access(path.c_str(), R_OK) != 0)
    return make_error(errc::bad_config,
                      "config file " + path + ": cannot be read: " + std::strerror(errno));
  return caf::none;
}

}  // namespace

caf::error node_config::load(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string path;
    if (arg.rfind("--config-file=", 0) == 0)
      path = arg.substr(14);
    else if (arg == "--config-file" && i + 1 < argc)
      path = argv[i + 1];
    else
      continue;
    if (auto err = check_config_file(path))
      return err;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-?") {
      std::cout << options_help();
      cli_helptext_printed = true;
      return caf::none;
    }
  }
  // CAF takes booleans on the command line as bare flags only and refuses an empty value;
  // also accept --key=true|false and --key= (an empty string).
  caf::actor_system_config::string_list args;
  std::vector<std::pair<const caf::config_option*, caf::config_value>> direct;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      auto value = arg.substr(eq + 1);
      auto* opt = custom_options_.qualified_name_lookup(arg.substr(2, eq - 2));
      if (opt != nullptr && opt->is_flag() && (value == "true" || value == "false")) {
        direct.emplace_back(opt, caf::config_value{value == "true"});
        continue;
      }
      if (opt != nullptr && value.empty() && opt->type_name() == "string") {
        direct.emplace_back(opt, caf::config_value{std::string{}});
        continue;
      }
    }
    args.push_back(std::move(arg));
  }
  if (auto err = parse(std::move(args))) {
    auto what = describe(err);
    if (what.find("\"line\"") != std::string::npos)
      what = "config file " + config_file_path + ": " + what;
    return make_error(errc::bad_config, what);
  }
  for (auto& [opt, value] : direct)
    opt->store(value);
  if (cli_helptext_printed || version_requested)
    return caf::none;
  if (auto err = check_file_keys())
    return err;
  return check_values();
}

caf::error node_config::check_file_keys() const {
  if (config_file_path.empty() || config_file_path == "caf-application.ini")
    return caf::none;
  auto file = parse_config_file(config_file_path.c_str());
  if (!file)
    return make_error(errc::bad_config, config_file_path + ": " + describe(file.error()));
  for (auto& [group, entries] : *file) {
    auto* dict = caf::get_if<caf::settings>(&entries);
    if (dict == nullptr)
      return bad(group, "unknown key (expected a [group])");
    for (auto& [name, value] : *dict) {
      auto key = group + "." + name;
      auto* opt = custom_options_.qualified_name_lookup(group, name);
      if (opt == nullptr)
        return bad(key, "unknown key");
      if (auto err = opt->check(value))
        return bad(key, "expected a value of type "
                          + std::string{opt->type_name().data(), opt->type_name().size()});
    }
  }
  return caf::none;
}

caf::error node_config::check_values() const {
  if (source.interval.count() <= 0)
    return check_positive("source.interval", source.interval);
  if (source.burst < 1 || source.burst > 100000)
    return check_range("source.burst", source.burst, 1, 100000);
  if (auto err = check_range("source.vip-share", source.vip_share, 0, 1))
    return err;
  if (auto err = check_range("source.invalid-share", source.invalid_share, 0, 1))
    return err;
  if (source.products.empty())
    return bad("source.products", "must not be empty");
  if (source.customers.empty())
    return bad("source.customers", "must not be empty");
  if (validation.min_quantity < 0)
    return bad("validation.min-quantity", "must not be negative");
  if (validation.max_quantity < validation.min_quantity)
    return bad("validation.max-quantity", "must not be below validation.min-quantity");
  if (validation.max_name_length < 1)
    return bad("validation.max-name-length", "must be at least 1");
  if (regions.empty())
    return bad("routing.regions", "must name at least one region");
  std::set<std::string> seen;
  for (auto& route : routes()) {
    if (route.name.empty())
      return bad("routing.regions", "a region name must not be empty");
    if (route.workers < 1 || route.workers > 1024)
      return bad("routing.regions", "worker count of " + route.name + " must be 1 to 1024");
    if (!seen.insert(route.name).second)
      return bad("routing.regions", "region " + route.name + " appears twice");
  }
  if (processor.workers < 0 || processor.workers > 1024)
    return check_range("processor.workers", processor.workers, 0, 1024);
  if (processor.max_in_flight < 1 || processor.max_in_flight > 100000)
    return check_range("processor.max-in-flight", processor.max_in_flight, 1, 100000);
  if (auto err = check_not_negative("processor.latency", processor.latency))
    return err;
  if (auto err = check_range("processor.failure-rate", processor.failure_rate, 0, 1))
    return err;
  if (auto err = check_not_negative("shipper.latency", shipper.latency))
    return err;
  if (auto err = check_range("shipper.failure-rate", shipper.failure_rate, 0, 1))
    return err;
  if (shipper.max_retries < 0 || shipper.max_retries > 100)
    return check_range("shipper.max-retries", shipper.max_retries, 0, 100);
  if (auto err = check_not_negative("shipper.retry-delay", shipper.retry_delay))
    return err;
  if (shipper.backoff != "fixed" && shipper.backoff != "exponential")
    return bad("shipper.backoff",
               "must be \"fixed\" or \"exponential\", got \"" + shipper.backoff + "\"");
  if (auto err = check_positive("shipper.max-retry-delay", shipper.max_retry_delay))
    return err;
  if (auto err = check_range("shipper.jitter", shipper.jitter, 0, 1))
    return err;
  if (auto err = check_positive("shipper.attempt-timeout", shipper.attempt_timeout))
    return err;
  if (shipper.fail_first < 0)
    return bad("shipper.fail-first", "must not be negative");
  if (journal.path.empty())
    return bad("journal.path", "must not be empty");
  if (journal.max_batch < 1 || journal.max_batch > 1000000)
    return check_range("journal.max-batch", journal.max_batch, 1, 1000000);
  if (journal.wal_limit_mib < 1 || journal.wal_limit_mib > 65536)
    return check_range("journal.wal-limit", journal.wal_limit_mib, 1, 65536);
  if (journal.synchronous != "normal" && journal.synchronous != "full")
    return bad("journal.synchronous",
               "must be \"normal\" or \"full\", got \"" + journal.synchronous + "\"");
  if (supervisor.max_restarts < 0)
    return bad("supervisor.max-restarts", "must not be negative");
  if (auto err = check_positive("supervisor.restart-window", supervisor.restart_window))
    return err;
  if (auto err = check_not_negative("supervisor.backoff", supervisor.backoff))
    return err;
  if (auto err = check_not_negative("supervisor.max-backoff", supervisor.max_backoff))
    return err;
  for (auto& x : supervisor.inject_crash)
    if (!parse_crash_injection(x))
      return bad("supervisor.inject-crash",
                 "expected \"stage@delay\" like \"shipper@2s\", got \"" + x + "\"");
  if (auto err = check_notifier_options(notifier))
    return err;
  if (node.max_in_flight < 1)
    return bad("node.max-in-flight", "must be at least 1");
  if (node.max_recoveries < 0)
    return bad("node.max-recoveries", "must not be negative");
  if (auto err = check_positive("aggregator.report-interval", node.report_interval))
    return err;
  if (auto err = check_not_negative("node.shutdown-deadline", node.shutdown_deadline))
    return err;
  if (admin.port < 0 || admin.port > 65535)
    return check_range("admin.port", admin.port, 0, 65535);
  if (admin.port != 0) {
    if (auto err = check_bind("admin.bind", admin.bind + ":" + std::to_string(admin.port)))
      return err;
    if (admin.bind.front() == '[')
      return bad("admin.bind",
                 "takes an IPv6 address without brackets, got \"" + admin.bind + "\"");
  }
  if (admin.max_message < 1024 || admin.max_message > (64 << 20))
    return check_range("admin.max-message", admin.max_message, 1024, 64 << 20);
  if (auto err = check_broker_options(broker))
    return err;
  if (http.threads < 1 || http.threads > 64)
    return check_range("http.threads", http.threads, 1, 64);
  if (http.body_limit < 64 || http.body_limit > (int64_t{64} << 20))
    return check_range("http.body-limit", static_cast<double>(http.body_limit), 64, 64 << 20);
  if (auto err = check_positive("http.request-timeout", http.request_timeout))
    return err;
  if (auto err = check_positive("http.idle-timeout", http.idle_timeout))
    return err;
  if (http.retry_after < 0 || http.retry_after > 3600)
    return check_range("http.retry-after", http.retry_after, 0, 3600);
  if (http.list_limit < 1 || http.list_limit > 100000)
    return check_range("http.list-limit", http.list_limit, 1, 100000);
  if (http.ws_queue_limit < 1024)
    return bad("http.ws-queue-limit", "must be at least 1024 bytes");
  if (http.max_connections < 1 || http.max_connections > 1000000)
    return check_range("http.max-connections", http.max_connections, 1, 1000000);
  if (http.ws_max_clients < 0 || http.ws_max_clients > 1000000)
    return check_range("http.ws-max-clients", http.ws_max_clients, 0, 1000000);
  if (auto err = check_bind("http.bind", http.bind))
    return err;
  if (!metrics.bind.empty())
    if (auto err = check_bind("metrics.bind", metrics.bind))
      return err;
  if (auto err = check_watchdog_options(watchdog))
    return err;
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  if (levels.count(node.log_level) == 0)
    return bad("log.level", "must be one of trace, debug, info, warn, error, off; got \""
                              + node.log_level + "\"");
  return caf::none;
}

std::vector<region_route> node_config::routes() const {
  auto default_workers =
    processor.workers > 0 ? processor.workers
                          : static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<region_route> result;
  for (auto& entry : regions) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) {
      result.push_back({entry, default_workers});
      continue;
    }
    region_route route{entry.substr(0, eq), -1};
    try {
      size_t used = 0;
      route.workers = std::stoi(entry.substr(eq + 1), &used);
      if (used != entry.size() - eq - 1)
        route.workers = -1;
    } catch (const std::exception&) {
      route.workers = -1;
    }
    result.push_back(std::move(route));
  }
  return result;
}

}  // namespace ordernode
