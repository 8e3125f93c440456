// The admin endpoint of the real binary under attack over CAF's own wire protocol: exit, error
// and link messages from a peer, frames announcing huge payloads, and token guessing.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/basp/header.hpp>

#include "runtime/admin/admin_protocol.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/ports.hpp"
#include "tests/support/process_probes.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/waiting.hpp"

using namespace ordernode;
using namespace ordernode::test;

namespace {

const std::string token = "e2e-admin-secret";

class client_config : public caf::actor_system_config {
public:
  client_config() {
    add_admin_types(*this);
    load<caf::io::middleman>();
    set("logger.verbosity", caf::atom("quiet"));
  }
};

struct admin_node {
  temp_dir dir;
  int port = free_port();
  node_process node;

  explicit admin_node(std::vector<std::string> extra = {})
      : node{dir.path(), "node", args(port, std::move(extra))} {
    INFO(node.err());
    REQUIRE(node.wait_for_log("admin endpoint on 127.0.0.1:" + std::to_string(port), 15s));
  }

  static std::vector<std::string> args(int port, std::vector<std::string> extra) {
    std::vector<std::string> result{"--journal.path=journal.db",
                                    "--admin.port=" + std::to_string(port),
                                    "--admin.token=" + token, "--source.enabled=false"};
    result.insert(result.end(), extra.begin(), extra.end());
    return result;
  }

  ~admin_node() {
    if (!node.wait(0ms)) {
      node.signal(SIGTERM);
      node.wait(30s);
    }
  }
};

struct answer {
  std::optional<admin_reply> reply;
  caf::error err;
  std::chrono::milliseconds took{0};
};

answer ask(caf::scoped_actor& self, const admin_actor& hdl, const std::string& with,
           const std::string& line, caf::timespan timeout = std::chrono::seconds(20)) {
  answer result;
  auto start = clock_type::now();
  self->request(hdl, timeout, admin_atom::value, with, line)
    .receive([&](admin_reply& x) { result.reply = std::move(x); },
             [&](caf::error& x) { result.err = std::move(x); });
  result.took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
  return result;
}

// The admin endpoint at 127.0.0.1:`port` as seen from `sys`; fails the test when unreachable.
admin_actor connect_admin(caf::actor_system& sys, int port) {
  auto hdl = sys.middleman().remote_actor<admin_actor>("127.0.0.1", static_cast<uint16_t>(port));
  REQUIRE_MESSAGE(hdl, sys.render(hdl.error()));
  return *hdl;
}

// A client of the admin endpoint in an actor system of its own.
struct admin_client {
  explicit admin_client(int port) : sys(cfg), hdl(connect_admin(sys, port)), self(sys) {}

  answer ask(const std::string& line) {
    return ::ask(self, hdl, token, line);
  }

  client_config cfg;
  caf::actor_system sys;
  admin_actor hdl;
  caf::scoped_actor self;
};

// A raw TCP connection to 127.0.0.1:`port`.
int connect_raw(int port) {
  auto fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  return fd;
}

// Reads and discards until the peer closes `fd` (true) or `timeout` passes (false).
bool closed_by_peer(int fd, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  char buf[4096];
  while (clock_type::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0)
      continue;
    auto n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("exit, error and link messages from a peer do not end the admin endpoint") {
  admin_node n;
  admin_client client{n.port};
  auto& sys = client.sys;
  auto& self = client.self;
  auto* hdl = &client.hdl;
  REQUIRE(client.ask("help").reply);
  // Every way a peer can end an actor in CAF 0.17: kill bypasses exit handlers, an error
  // message reaches the default error handler, and a linked peer's death sends an exit.
  caf::anon_send_exit(*hdl, caf::exit_reason::kill);
  self->send_exit(*hdl, caf::exit_reason::kill);
  self->send_exit(*hdl, caf::exit_reason::user_shutdown);
  self->send_exit(*hdl, caf::make_error(caf::sec::runtime_error, std::string{"from a peer"}));
  caf::anon_send(caf::actor_cast<caf::actor>(*hdl), caf::make_error(caf::sec::runtime_error));
  caf::anon_send(caf::actor_cast<caf::actor>(*hdl),
                 caf::down_msg{self->address(), caf::exit_reason::kill});
  auto front = caf::actor_cast<caf::actor>(*hdl);
  // The handle goes as an argument: CAF 0.17 dereferences a null argument tuple when a
  // spawned function takes none (UBSan).
  auto linked = sys.spawn(
    [](caf::event_based_actor* x, caf::actor front) -> caf::behavior {
      x->link_to(front);
      return {[=](int) {
        x->quit(caf::make_error(caf::sec::runtime_error));
      }};
    },
    front);
  self->monitor(linked);
  self->send(linked, 1);
  bool linked_down = false;
  self->receive([&](caf::down_msg&) { linked_down = true; },
                caf::after(std::chrono::seconds(5)) >> [] {});
  REQUIRE(linked_down);
  // The same connection, after all of the above: the endpoint still answers.
  auto after = ask(self, *hdl, token, "actors");
  INFO(n.node.err());
  REQUIRE_MESSAGE(after.reply, sys.render(after.err));
  CHECK(after.reply->code == admin_reply::ok);
  CHECK(after.reply->text.find("admin") != std::string::npos);
  CHECK(n.node.wait_for_log("admin: ignored", 5s));
  // A new connection, too.
  auto r = admin_client{n.port}.ask("help");
  REQUIRE(r.reply);
  CHECK(r.reply->code == admin_reply::ok);
}

TEST_CASE("inject admin restarts the admin actor under supervision") {
  admin_node n;
  admin_client client{n.port};
  auto r = client.ask("inject admin");
  REQUIRE(r.reply);
  CHECK(r.reply->code == admin_reply::ok);
  INFO(n.node.err());
  REQUIRE(n.node.wait_for_log("supervisor: admin restarted", 10s));
  std::optional<admin_reply> listed;
  CHECK(wait_until(
    [&] {
      listed = client.ask("actor admin").reply;
      return listed && listed->code == admin_reply::ok
             && listed->text.find("running") != std::string::npos;
    },
    10s));
  REQUIRE(listed);
  CHECK(listed->text.find("crash injected") != std::string::npos);
  CHECK(client.ask("help").reply->code == admin_reply::ok);
}

TEST_CASE("a frame announcing a huge payload closes the connection instead of allocating") {
  admin_node n;
  client_config cfg;
  caf::actor_system sys{cfg};
  // A client handshake's header announcing `payload` bytes to follow.
  auto frame = [&](uint32_t payload) {
    std::vector<char> result;
    caf::binary_serializer sink{sys, result};
    caf::io::basp::header hdr{caf::io::basp::message_type::client_handshake, 0, payload, 0, 0, 0};
    REQUIRE(!sink(hdr));
    REQUIRE(result.size() == caf::io::basp::header_size);
    return result;
  };
  auto attack = [&](uint32_t payload) {
    auto fd = connect_raw(n.port);
    auto bytes = frame(payload);
    REQUIRE(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(bytes.size()));
    auto closed = closed_by_peer(fd, 5s);
    close(fd);
    return closed;
  };
  auto before = status_kib(n.node.pid(), "VmRSS");
  REQUIRE(before > 0);
  CHECK(attack(256u << 20));
  auto after = status_kib(n.node.pid(), "VmRSS");
  INFO("RSS before ", before, " KiB, after ", after, " KiB");
  CHECK(after - before < 32 * 1024);
  for (int i = 0; i < 7; ++i)
    CHECK_MESSAGE(attack((1u << 20) + static_cast<uint32_t>(i)), "connection ", i, " stayed open");
  auto log = n.node.err();
  INFO(log);
  CHECK(count_of(log, "exceeds admin.max-message") >= 1);
  CHECK(count_of(log, "exceeds admin.max-message") <= 5);
  // The endpoint still serves a well-behaved client.
  auto r = admin_client{n.port}.ask("help");
  REQUIRE(r.reply);
  CHECK(r.reply->code == admin_reply::ok);
}

TEST_CASE("wrong tokens are answered ever slower, then the peer is blocked and dropped") {
  admin_node n;
  admin_client client{n.port};
  auto& sys = client.sys;
  auto& self = client.self;
  auto* hdl = &client.hdl;
  self->monitor(*hdl);
  std::vector<answer> answers;
  for (int i = 0; i < 10; ++i) {
    answers.push_back(ask(self, *hdl, "guess-" + std::to_string(i), "actors"));
    REQUIRE_MESSAGE(answers.back().reply, i, ": ", sys.render(answers.back().err));
    CHECK(answers.back().reply->code == admin_reply::refused);
  }
  auto fast = answers[0].took + answers[1].took + answers[2].took;
  CHECK(fast < 1500ms);
  CHECK(answers[8].took >= 1000ms);
  CHECK(answers[8].took > answers[4].took);
  CHECK(answers[9].reply->text.find("blocked") != std::string::npos);
  // The node drops the connection of a blocked peer.
  bool dropped = false;
  self->receive([&](caf::down_msg&) { dropped = true; },
                caf::after(std::chrono::seconds(10)) >> [] {});
  CHECK(dropped);
  // Connecting again does not unblock it: even the right token is refused unchecked. (The
  // client's middleman may still hand out the closed connection's proxy for a moment.)
  answer blocked;
  CHECK(wait_until(
    [&] {
      auto again =
        sys.middleman().remote_actor<admin_actor>("127.0.0.1", static_cast<uint16_t>(n.port));
      if (!again)
        return false;
      blocked = ask(self, *again, token, "actors", std::chrono::seconds(2));
      return blocked.reply.has_value();
    },
    10s));
  REQUIRE(blocked.reply);
  CHECK(blocked.reply->code == admin_reply::refused);
  CHECK(blocked.reply->text.find("blocked") != std::string::npos);
  // Other peers are not blocked.
  auto fine = admin_client{n.port}.ask("help");
  REQUIRE(fine.reply);
  CHECK(fine.reply->code == admin_reply::ok);
  // One line for the peer's first wrong token, not one per guess.
  auto log = n.node.err();
  INFO(log);
  CHECK(count_of(log, "wrong token") >= 1);
  CHECK(count_of(log, "wrong token") <= 3);
}
