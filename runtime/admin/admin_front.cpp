#include "runtime/admin/admin_front.hpp"

#include <map>
#include <mutex>
#include <random>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

// The admin actor's answer to the command with this ticket, from a helper of the front.
using answer_atom = caf::atom_constant<caf::atom("adminans")>;

// Time to send delayed answers and the log summary.
using wake_atom = caf::atom_constant<caf::atom("adminwake")>;

using clock_type = std::chrono::steady_clock;

admin_reply refused(std::string text) {
  return {admin_reply::refused, std::move(text), {}, {}};
}

class admin_front : public caf::event_based_actor {
public:
  admin_front(caf::actor_config& cfg, admin_front_config x)
      : caf::event_based_actor(cfg),
        cfg_(std::move(x)),
        keeper_(cfg_.keeper.address()),
        guard_(cfg_.token, cfg_.guard),
        tickets_(std::random_device{}()),
        ignored_log_(5, cfg_.guard.log_interval) {
    // nop
  }

  const char* name() const override {
    return "admin-front";
  }

  // A response promise holds its actor: answer what is pending, or the front never goes.
  void on_exit() override {
    for (auto& [ticket, rp] : running_)
      rp.deliver(caf::make_error(caf::sec::request_receiver_down));
    running_.clear();
    for (auto& [at, x] : delayed_)
      x.first.deliver(caf::make_error(caf::sec::request_receiver_down));
    delayed_.clear();
  }

  using caf::event_based_actor::enqueue;

  // Runs on the sender's thread: lets through what the front handles and drops the rest
  // before CAF's own handling, which ends an actor on an exit message with reason `kill` or on
  // an error message, whatever its handlers say.
  void enqueue(caf::mailbox_element_ptr x, caf::execution_unit* eu) override {
    if (x && admitted(*x)) {
      caf::event_based_actor::enqueue(std::move(x), eu);
      return;
    }
    if (!x)
      return;
    auto& content = x->content();
    if (content.match_elements<caf::exit_msg>()) {
      // A peer's link stays otherwise: CAF unlinks only when it handles the message.
      auto& source = content.get_as<caf::exit_msg>(0).source;
      if (source && source != address())
        unlink_from(source);
    }
    log_ignored(*x);
  }

  caf::behavior make_behavior() override {
    monitor(cfg_.keeper);
    set_down_handler([this](caf::down_msg& x) {
      if (x.source == keeper_)
        quit(x.reason);
    });
    set_exit_handler([](caf::exit_msg&) {});
    set_error_handler([](caf::error&) {});
    set_default_handler(caf::drop);
    return {
      [this](admin_atom, const std::string& token, const std::string& line)
        -> caf::result<admin_reply> { return on_command(token, line); },
      [this](answer_atom, uint64_t ticket, admin_reply& reply) {
        auto i = running_.find(ticket);
        if (i == running_.end())
          return;
        i->second.deliver(std::move(reply));
        running_.erase(i);
      },
      [this](wake_atom) { wake(); },
    };
  }

private:
  bool admitted(const caf::mailbox_element& x) {
    if (!x.stages.empty() || x.mid.is_response())
      return false;
    auto& content = x.content();
    if (content.match_elements<admin_atom, std::string, std::string>())
      return true;
    // Answers and wake-ups come from this node only: a peer must not forge them.
    auto local = !x.sender || x.sender->node() == home_system().node();
    if (local
        && (content.match_elements<answer_atom, uint64_t, admin_reply>()
            || content.match_elements<wake_atom>()))
      return true;
    return content.match_elements<caf::down_msg>()
           && content.get_as<caf::down_msg>(0).source == keeper_;
  }

  void log_ignored(const caf::mailbox_element& x) {
    std::lock_guard<std::mutex> guard{ignored_mtx_};
    auto now = clock_type::now();
    if (ignored_log_.take(now)) {
      auto what = x.content().stringify();
      if (what.size() > 120)
        what = what.substr(0, 117) + "...";
      auto from = x.sender ? caf::to_string(x.sender->node()) : std::string{"an anonymous sender"};
      spdlog::warn("admin: ignored a message that is no admin command from {}: {}", from, what);
    }
    if (auto n = ignored_log_.summary_due(now))
      spdlog::warn("admin: ignored {} more messages that were no admin commands", n);
  }

  caf::result<admin_reply> on_command(const std::string& token, const std::string& line) {
    auto& sender = current_sender();
    auto node = sender ? sender->node() : caf::node_id{};
    auto peer = sender ? caf::to_string(node) : std::string{"an anonymous sender"};
    auto now = clock_type::now();
    auto d = guard_.check(peer, token, now);
    caf::result<admin_reply> result = caf::delegated<admin_reply>{};
    switch (d.what) {
      case admin_guard::verdict::accept:
        run(line);
        break;
      case admin_guard::verdict::peer_blocked:
        result =
          refused("refused: too many wrong admin tokens; this peer is blocked for a while\n");
        break;
      case admin_guard::verdict::node_capped:
        result = refused(
          "refused: too many wrong admin tokens on this node lately; try again in a minute\n");
        break;
      case admin_guard::verdict::wrong_token: {
        if (d.log)
          spdlog::warn("admin: refused a command with a wrong token from node {}", peer);
        auto reply = refused("refused: wrong admin token\n");
        if (d.blocks_peer) {
          auto seconds = guard_.options().block_time.count();
          spdlog::warn(
            "admin: node {} sent {} wrong tokens: blocked for {} s, its connection "
            "dropped",
            peer, guard_.options().max_failures, seconds);
          reply.text = "refused: wrong admin token; this peer is blocked for "
                       + std::to_string(seconds) + " s\n";
          if (cfg_.drop_peer && sender)
            cfg_.drop_peer(node);
        }
        if (d.delay.count() > 0) {
          delayed_.emplace(now + d.delay, std::make_pair(make_response_promise(), reply));
          delayed_send(this, d.delay, wake_atom::value);
        } else {
          result = std::move(reply);
        }
        break;
      }
    }
    arm_summary(now);
    return result;
  }

  // Has a helper ask the admin actor, so that no answer to a request of the front's own
  // exists for a peer to forge: the front takes no responses at all.
  void run(const std::string& line) {
    auto ticket = tickets_();
    while (running_.count(ticket) > 0)
      ticket = tickets_();
    running_.emplace(ticket, make_response_promise());
    auto self = caf::actor_cast<caf::actor>(this);
    // The command goes as an argument: CAF 0.17 dereferences a null argument tuple when a
    // spawned function takes none (UBSan: reference binding to null pointer).
    spawn(
      [=, commands = cfg_.commands, timeout = cfg_.command_timeout](
        caf::event_based_actor* helper, const std::string& line) mutable {
        auto answer = [=](admin_reply reply) {
          helper->send(self, answer_atom::value, ticket, std::move(reply));
        };
        auto& target = commands.get();
        if (!target) {
          answer({admin_reply::failed, "the admin actor is not running; try again\n", {}, {}});
          return;
        }
        helper->request(target, timeout, admin_atom::value, line)
          .then([=](admin_reply& reply) { answer(std::move(reply)); },
                [=](caf::error& err) {
                  answer({admin_reply::failed,
                          "the admin actor did not answer: " + describe(err) + "\n",
                          {},
                          {}});
                });
      },
      line);
  }

  void wake() {
    auto now = clock_type::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      auto& [rp, reply] = delayed_.begin()->second;
      rp.deliver(std::move(reply));
      delayed_.erase(delayed_.begin());
    }
    if (auto line = guard_.summary(now))
      spdlog::warn("{}", *line);
    arm_summary(now);
  }

  // One timer at a time: a wake message a peer sends cannot multiply them.
  void arm_summary(clock_type::time_point now) {
    if (!guard_.summary_pending() || (summary_armed_ && now < summary_at_))
      return;
    summary_armed_ = true;
    summary_at_ = now + guard_.options().log_interval;
    delayed_send(this, guard_.options().log_interval, wake_atom::value);
  }

  admin_front_config cfg_;
  caf::actor_addr keeper_;
  admin_guard guard_;
  std::map<uint64_t, caf::response_promise> running_;
  std::multimap<clock_type::time_point, std::pair<caf::response_promise, admin_reply>> delayed_;
  std::mt19937_64 tickets_;
  bool summary_armed_ = false;
  clock_type::time_point summary_at_{};
  std::mutex ignored_mtx_;
  log_budget ignored_log_;
};

}  // namespace

caf::actor spawn_admin_front(caf::actor_system& sys, admin_front_config cfg) {
  return sys.spawn<admin_front>(std::move(cfg));
}

}  // namespace ordernode
