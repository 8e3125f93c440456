#include "runtime/admin/admin_actor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/admin/admin_format.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/report/report.hpp"
#include "runtime/store/report_query.hpp"
#include "runtime/store/journal_reader.hpp"

namespace ordernode {

namespace {

using query_actor =
  caf::typed_actor<caf::replies_to<admin_atom, std::vector<std::string>>::with<admin_reply>>;

struct query_state {
  std::unique_ptr<journal_reader> reader;

  static inline const char* name = "admin-queries";
};

struct admin_state {
  query_actor queries;

  static inline const char* name = "admin";
};

admin_reply ok(std::string text) {
  return {admin_reply::ok, std::move(text), {}, {}};
}

admin_reply failed(std::string text) {
  return {admin_reply::failed, std::move(text) + "\n", {}, {}};
}

// Parses a whole positive number of at most `max`; nullopt otherwise.
std::optional<int64_t> parse_count(const std::string& x, int64_t max) {
  if (x.empty() || x.size() > 12 || x.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto n = std::stoll(x);
  if (n < 1 || n > max)
    return std::nullopt;
  return n;
}

admin_reply run_query(journal_reader& reader, const journal_location& journal,
                      const cluster_facts& cluster, const std::vector<std::string>& words) {
  auto& cmd = words[0];
  if (cmd == "nodes") {
    admin_reply result;
    if (!cluster.clustered) {
      result.text = "node " + cluster.node + " runs alone (an SQLite journal, or cluster.enabled "
                    "is off)\n";
      result.members.push_back({cluster.node, "up", ""});
      return result;
    }
    auto nodes = reader.nodes();
    if (!nodes)
      return failed("cannot read the journal: " + describe(nodes.error()));
    result.text = format_nodes(*nodes, cluster);
    for (auto& x : *nodes)
      result.members.push_back({x.id, state_of(x, cluster.lease), x.admin});
    return result;
  }
  if (cmd == "order") {
    if (words.size() != 2)
      return failed("usage: order ID");
    auto found = reader.find(words[1]);
    if (!found)
      return failed("cannot read the journal: " + describe(found.error()));
    if (!*found)
      return failed("no order " + words[1] + " in the journal");
    return ok(format_order(**found));
  }
  if (cmd == "orders") {
    order_filter filter;
    filter.limit = 20;
    for (size_t i = 1; i < words.size(); ++i) {
      if (auto n = parse_count(words[i], 10000)) {
        filter.limit = static_cast<size_t>(*n);
      } else if (auto state = parse_order_state(words[i])) {
        filter.state = state;
      } else {
        return failed("unknown status \"" + words[i]
                      + "\"; one of received, validated, processing, processed, shipping, "
                        "completed, rejected, failed, dead_letter (or a count up to 10000)");
      }
    }
    auto orders = reader.list(filter);
    if (!orders)
      return failed("cannot read the journal: " + describe(orders.error()));
    return ok(format_orders(*orders));
  }
  if (cmd == "errors") {
    int64_t limit = 20;
    if (words.size() > 2)
      return failed("usage: errors [N]");
    if (words.size() == 2) {
      auto n = parse_count(words[1], 10000);
      if (!n)
        return failed("errors: N must be a number from 1 to 10000, got \"" + words[1] + "\"");
      limit = *n;
    }
    auto errors = reader.errors(static_cast<size_t>(limit));
    if (!errors)
      return failed("cannot read the journal: " + describe(errors.error()));
    return ok(format_errors(*errors));
  }
  if (cmd == "report") {
    auto data = load_report_data(journal);
    if (!data)
      return failed(describe(data.error()));
    return {admin_reply::ok, render_summary(*data), render_html(*data), {}};
  }
  return failed("unknown query " + cmd);
}

// Runs on its own thread: the journal's reads block.
query_actor::behavior_type queries(query_actor::stateful_pointer<query_state> self,
                                   journal_location journal, cluster_facts cluster) {
  return {
    [=](admin_atom, const std::vector<std::string>& words) -> admin_reply {
      auto& st = self->state;
      if (!st.reader) {
        auto reader = open_journal_reader(journal);
        if (!reader)
          return failed("cannot open the journal: " + describe(reader.error()));
        st.reader = std::move(*reader);
      }
      auto reply = run_query(*st.reader, journal, cluster, words);
      // A reader whose connection failed is opened anew for the next query.
      if (reply.code != admin_reply::ok)
        st.reader.reset();
      return reply;
    },
  };
}

using admin_pointer = admin_commands_actor::stateful_pointer<admin_state>;

caf::result<admin_reply> run_source(admin_pointer self, const admin_context& ctx,
                                    const std::vector<std::string>& words) {
  if (!ctx.source)
    return failed("the source is off (source.enabled=false)");
  if (words.size() == 2 && words[1] == "pause") {
    self->send(ctx.source.get(), pause_atom::value);
    return ok("source paused\n");
  }
  if (words.size() == 2 && words[1] == "resume") {
    self->send(ctx.source.get(), resume_atom::value);
    return ok("source resumed\n");
  }
  if (words.size() == 3 && words[1] == "rate") {
    auto n = parse_count(words[2], 1000000);
    if (!n)
      return failed("source rate: N must be orders per second from 1 to 1000000, got \"" + words[2]
                    + "\"");
    self->send(ctx.source.get(), rate_atom::value, static_cast<int32_t>(*n));
    return ok("source rate set to " + words[2] + " orders per second\n");
  }
  return failed("usage: source pause|resume|rate N");
}

caf::result<admin_reply> run_inject(admin_pointer self, const admin_context& ctx,
                                    const std::vector<std::string>& words) {
  if (words.size() != 2)
    return failed("usage: inject NAME (see `actors` for the names)");
  auto hdl = ctx.registry->find(words[1]);
  if (!hdl)
    return failed("no running actor named \"" + words[1] + "\" (see `actors`)");
  spdlog::warn("admin: injecting a crash into {}", words[1]);
  self->send_exit(hdl, caf::make_error(caf::sec::runtime_error,
                                       std::string{"crash injected by the admin shell"}));
  return ok("crash injected into " + words[1] + "\n");
}

admin_commands_actor::behavior_type admin(admin_pointer self, admin_context ctx) {
  self->state.queries =
    self->spawn<caf::detached + caf::linked>(queries, ctx.journal_at, ctx.cluster);
  return {
    [=](admin_atom, const std::string& line) -> caf::result<admin_reply> {
      auto words = split_words(line);
      if (words.empty())
        return ok("");
      spdlog::info("admin: {}", line);
      auto& cmd = words[0];
      if (cmd == "help")
        return ok(admin_help());
      if (cmd == "actors") {
        if (!ctx.registry)
          return failed("no actor registry");
        return ok(format_actors(ctx.registry->snapshot(), now()));
      }
      if (cmd == "actor") {
        if (words.size() != 2)
          return failed("usage: actor NAME");
        for (auto& x : ctx.registry->snapshot())
          if (x.name == words[1])
            return ok(format_actor(x, now()));
        return failed("no actor named \"" + words[1] + "\" (see `actors`)");
      }
      if (cmd == "stats") {
        auto rp = self->make_response_promise<admin_reply>();
        self->request(ctx.aggregator.get(), std::chrono::seconds(5), totals_atom::value)
          .then([=](const totals& x) mutable { rp.deliver(ok(format_totals(x))); },
                [=](const caf::error& err) mutable {
                  rp.deliver(failed("the aggregator did not answer: " + describe(err)));
                });
        return rp;
      }
      if (cmd == "source")
        return run_source(self, ctx, words);
      if (cmd == "inject")
        return run_inject(self, ctx, words);
      if (cmd == "orders" || cmd == "order" || cmd == "errors" || cmd == "report" || cmd == "nodes")
        return self->delegate(self->state.queries, admin_atom::value, std::move(words));
      return failed("unknown command \"" + cmd + "\"; try help");
    },
  };
}

}  // namespace

const std::string& admin_help() {
  static const std::string text =
    "actors                    every actor: type, state, mailbox, handled, restarts, uptime\n"
    "actor NAME                one actor in detail\n"
    "orders [STATUS] [N]       the first N (20) orders, optionally in one status\n"
    "order ID                  one order with its history\n"
    "stats                     the aggregator's totals per region\n"
    "errors [N]                the newest N (20) errors\n"
    "source pause|resume       stop or restart the mock order source\n"
    "source rate N             let the source generate N orders per second\n"
    "inject NAME               crash the actor NAME (an exit with a non-normal reason)\n"
    "report [FILE]             a summary; the shell saves the HTML report to FILE\n"
    "nodes                     the nodes of the cluster: state, regions, load, addresses\n"
    "use NODE                  attach the shell to another node of the cluster\n"
    "actors --all              the actors of every node of the cluster\n"
    "help                      this text\n"
    "quit                      leave the shell\n";
  return text;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> result;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])))
      ++i;
    auto begin = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i])))
      ++i;
    if (i > begin)
      result.push_back(line.substr(begin, i - begin));
  }
  return result;
}

admin_commands_actor spawn_admin(caf::actor_system& sys, admin_context ctx) {
  return sys.spawn(admin, std::move(ctx));
}

}  // namespace ordernode
