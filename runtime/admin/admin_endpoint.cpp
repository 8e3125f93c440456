#include "runtime/admin/admin_endpoint.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/doorman_impl.hpp>
#include <caf/io/network/scribe_impl.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace net = caf::io::network;

namespace {

using drop_atom = caf::atom_constant<caf::atom("admindrop")>;

// What the scribes of one listener share.
struct admin_limits {
  explicit admin_limits(size_t max) : max_message(max) {}

  void log_oversized(const std::string& peer, size_t announced) {
    std::lock_guard<std::mutex> guard{mtx};
    auto now = log_budget::clock::now();
    if (log.take(now))
      spdlog::warn(
        "admin: closed the connection from {}: a message of {} bytes exceeds "
        "admin.max-message ({})",
        peer, announced, max_message);
    if (auto n = log.summary_due(now))
      spdlog::warn(
        "admin: closed {} more connections whose messages exceeded "
        "admin.max-message ({})",
        n, max_message);
  }

  const size_t max_message;
  std::mutex mtx;
  log_budget log{5, std::chrono::seconds(10)};
};

// CAF's BASP broker reads a frame's header, then has the scribe read exactly the payload
// length it announces, into a buffer of that size. This scribe refuses a length over the
// limit: it closes the connection instead of allocating.
class bounded_scribe : public net::scribe_impl {
public:
  bounded_scribe(net::default_multiplexer& mx, net::native_socket fd,
                 std::shared_ptr<admin_limits> limits)
      : net::scribe_impl(mx, fd), limits_(std::move(limits)) {
    // nop
  }

  void configure_read(caf::io::receive_policy::config config) override {
    if (config.second <= limits_->max_message) {
      net::scribe_impl::configure_read(config);
      return;
    }
    if (oversized_)
      return;
    oversized_ = true;
    limits_->log_oversized(addr() + ":" + std::to_string(port()), config.second);
    // Called by the broker while it handles this connection's data: close it afterwards.
    caf::intrusive_ptr<bounded_scribe> self{this};
    stream_.backend().post([self] { self->drop(); });
  }

  // Sends FIN and has the broker forget the connection (it cleans up as on a peer's close).
  // On the multiplexer's thread only.
  void drop() {
    if (detached())
      return;
    stream_.graceful_shutdown();
    detach(&stream_.backend(), true);
  }

private:
  std::shared_ptr<admin_limits> limits_;
  bool oversized_ = false;
};

}  // namespace

// The connections of the admin endpoint; touched on the multiplexer's thread only.
class admin_listener {
public:
  admin_listener(net::default_multiplexer& mx, size_t max_message)
      : mx_(mx), limits_(std::make_shared<admin_limits>(max_message)) {
    // nop
  }

  net::default_multiplexer& backend() {
    return mx_;
  }

  const std::shared_ptr<admin_limits>& limits() const {
    return limits_;
  }

  void add(caf::intrusive_ptr<bounded_scribe> x) {
    prune();
    scribes_.push_back(std::move(x));
  }

  void close_peer(const std::string& addr, uint16_t port) {
    for (auto& x : scribes_)
      if (!x->detached() && x->port() == port && x->addr() == addr)
        x->drop();
    prune();
  }

  void close_all() {
    for (auto& x : scribes_)
      x->drop();
    scribes_.clear();
  }

private:
  // A scribe the broker let go keeps its socket open until its last reference goes.
  void prune() {
    scribes_.erase(
      std::remove_if(scribes_.begin(), scribes_.end(), [](auto& x) { return x->detached(); }),
      scribes_.end());
  }

  net::default_multiplexer& mx_;
  std::shared_ptr<admin_limits> limits_;
  std::vector<caf::intrusive_ptr<bounded_scribe>> scribes_;
};

namespace {

// Accepts like CAF's doorman_impl, with a bounded_scribe for each connection.
class bounded_doorman : public net::doorman_impl {
public:
  bounded_doorman(net::default_multiplexer& mx, net::native_socket fd,
                  std::shared_ptr<admin_listener> listener)
      : net::doorman_impl(mx, fd), listener_(std::move(listener)) {
    // nop
  }

  bool new_connection() override {
    if (detached())
      return false;
    auto& mx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    net::keepalive(fd, true);
    auto scribe = caf::make_counted<bounded_scribe>(mx, fd, listener_->limits());
    listener_->add(scribe);
    auto hdl = scribe->hdl();
    parent()->add_scribe(std::move(scribe));
    return doorman::new_connection(&mx, hdl);
  }

private:
  std::shared_ptr<admin_listener> listener_;
};

caf::actor basp_broker(caf::actor_system& sys) {
  return sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
}

}  // namespace

caf::expected<std::unique_ptr<admin_endpoint>> admin_endpoint::start(caf::actor_system& sys,
                                                                     admin_endpoint_config cfg) {
  auto* mx = dynamic_cast<net::default_multiplexer*>(&sys.middleman().backend());
  if (mx == nullptr)
    return make_error(errc::bad_config, "the admin endpoint needs CAF's default multiplexer");
  // A peer may address CAF's named actors without any token: ConfigServ stores whatever it is
  // sent, SpawnServ spawns. The node uses neither, so no peer may reach them.
  sys.registry().erase(caf::atom("ConfigServ"));
  sys.registry().erase(caf::atom("SpawnServ"));
  // What middleman::publish does, with our doorman in place of CAF's.
  auto fd =
    net::new_tcp_acceptor_impl(cfg.port, cfg.bind.empty() ? nullptr : cfg.bind.c_str(), true);
  if (!fd)
    return std::move(fd.error());
  std::unique_ptr<admin_endpoint> result{new admin_endpoint(sys)};
  auto& self = *result;
  self.listener_ = std::make_shared<admin_listener>(*mx, cfg.max_message);
  auto doorman = caf::make_counted<bounded_doorman>(*mx, *fd, self.listener_);
  self.port_ = doorman->port();
  // The admin actor, supervised like a stage: the first incarnation now, so that the first
  // command finds it.
  auto commands = self.commands_;
  child_spec child{"admin",
                   "admin",
                   [commands, ctx = cfg.context](caf::actor_system& sys) mutable {
                     auto hdl = spawn_admin(sys, ctx);
                     commands.set(hdl);
                     return caf::actor_cast<caf::actor>(hdl);
                   },
                   {},
                   {},
                   {}};
  child.handle = child.spawn(sys);
  auto options = cfg.supervision;
  auto& crashes = options.inject_crash;
  crashes.erase(std::remove_if(crashes.begin(), crashes.end(),
                               [](const std::string& x) {
                                 auto plan = parse_crash_injection(x);
                                 return !plan || plan->stage != "admin";
                               }),
                crashes.end());
  self.supervisor_ = caf::actor_cast<caf::actor>(
    sys.spawn(supervisor, std::move(options), std::vector<child_spec>{std::move(child)},
              cfg.context.registry, cfg.intake, cfg.errors, cfg.give_up));
  // Blocked peers lose their connection, after their refusal went out.
  auto listener = self.listener_;
  auto mm = sys.middleman().actor_handle();
  auto drop_peer = [&sys, listener, mm](const caf::node_id& node) {
    // The node goes as an argument: CAF 0.17 dereferences a null argument tuple when a
    // spawned function takes none (UBSan).
    sys.spawn(
      [listener, mm](caf::event_based_actor* helper, caf::node_id node) -> caf::behavior {
        helper->delayed_send(helper, std::chrono::milliseconds(100), drop_atom::value);
        return {
          [=](drop_atom) {
            helper->request(mm, std::chrono::seconds(5), caf::get_atom::value, node)
              .then(
                [=](const caf::node_id&, const std::string& addr, uint16_t port) {
                  if (!addr.empty())
                    listener->backend().post([=] { listener->close_peer(addr, port); });
                  helper->quit();
                },
                [=](const caf::error&) { helper->quit(); });
          },
        };
      },
      node);
  };
  self.front_ = spawn_admin_front(
    sys, {cfg.token, cfg.guard, self.commands_, self.supervisor_, std::move(drop_peer)});
  caf::anon_send(basp_broker(sys), caf::publish_atom::value, caf::io::doorman_ptr{doorman},
                 self.port_, caf::actor_cast<caf::strong_actor_ptr>(self.front_),
                 sys.message_types<admin_actor>());
  return result;
}

admin_endpoint::~admin_endpoint() {
  stop();
}

void admin_endpoint::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  caf::anon_send(basp_broker(sys_), caf::close_atom::value, port_);
  auto listener = listener_;
  listener->backend().post([listener] { listener->close_all(); });
  caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(commands_.current(), caf::exit_reason::user_shutdown);
}

}  // namespace ordernode
