#include "runtime/broker/amqp_session.hpp"

#include <sys/time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

constexpr amqp_channel_t channel = 1;

amqp_bytes_t bytes(const std::string& x) {
  return amqp_bytes_t{x.size(), const_cast<char*>(x.data())};
}

std::string str(amqp_bytes_t x) {
  return std::string{static_cast<const char*>(x.bytes), x.len};
}

timeval to_timeval(std::chrono::milliseconds x) {
  auto ms = std::max<int64_t>(0, x.count());
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

std::string header(const amqp_basic_properties_t& props, const char* key) {
  if ((props._flags & AMQP_BASIC_HEADERS_FLAG) == 0)
    return {};
  for (int i = 0; i < props.headers.num_entries; ++i) {
    auto& e = props.headers.entries[i];
    if (str(e.key) == key && e.value.kind == AMQP_FIELD_KIND_UTF8)
      return str(e.value.value.bytes);
  }
  return {};
}

}  // namespace

amqp_session::~amqp_session() {
  if (conn_ == nullptr)
    return;
  amqp_channel_close(conn_, channel, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  close();
}

void amqp_session::close() {
  if (conn_ != nullptr)
    amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

caf::error amqp_session::fail(const std::string& what, int status) {
  close();
  return make_error(errc::broker_failure, what + ": " + amqp_error_string2(status));
}

caf::error amqp_session::fail_rpc(const std::string& what) {
  auto reply = amqp_get_rpc_reply(conn_);
  std::string cause;
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return caf::none;
    case AMQP_RESPONSE_NONE:
      cause = "no reply";
      break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      cause = amqp_error_string2(reply.library_error);
      break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
        cause = "connection closed by the broker: " + str(m->reply_text);
      } else if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
        cause = "channel closed by the broker: " + str(m->reply_text);
      } else {
        cause = "unexpected method from the broker";
      }
      break;
  }
  close();
  return make_error(errc::broker_failure, what + ": " + cause);
}

caf::expected<std::unique_ptr<amqp_session>> amqp_session::open(const std::string& url,
                                                                std::chrono::milliseconds timeout) {
  std::unique_ptr<amqp_session> self{new amqp_session};
  std::string buf = url;
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK)
    return make_error(errc::broker_failure, "malformed broker URL " + url);
  self->conn_ = amqp_new_connection();
  auto* socket = amqp_tcp_socket_new(self->conn_);
  if (socket == nullptr)
    return self->fail("cannot create a socket", AMQP_STATUS_NO_MEMORY);
  auto tv = to_timeval(timeout);
  if (auto rc = amqp_socket_open_noblock(socket, info.host, info.port, &tv); rc != AMQP_STATUS_OK)
    return self->fail(
      std::string{"cannot connect to "} + info.host + ":" + std::to_string(info.port), rc);
  auto login = amqp_login(self->conn_, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user,
                          info.password);
  if (login.reply_type != AMQP_RESPONSE_NORMAL)
    return self->fail_rpc("login to " + std::string{info.host} + " failed");
  amqp_channel_open(self->conn_, channel);
  if (auto err = self->fail_rpc("cannot open a channel"))
    return err;
  return self;
}

caf::error amqp_session::declare_exchange(const std::string& name, const std::string& type) {
  amqp_exchange_declare(conn_, channel, bytes(name), bytes(type), 0, 1, 0, 0, amqp_empty_table);
  return fail_rpc("cannot declare exchange " + name);
}

caf::error amqp_session::declare_queue(const std::string& name, const std::string& exchange,
                                       const std::vector<std::string>& keys) {
  amqp_queue_declare(conn_, channel, bytes(name), 0, 1, 0, 0, amqp_empty_table);
  if (auto err = fail_rpc("cannot declare queue " + name))
    return err;
  for (auto& key : keys) {
    amqp_queue_bind(conn_, channel, bytes(name), bytes(exchange), bytes(key), amqp_empty_table);
    if (auto err = fail_rpc("cannot bind queue " + name + " to " + exchange))
      return err;
  }
  return caf::none;
}

caf::expected<amqp_queue_info> amqp_session::inspect_queue(const std::string& name) {
  auto* ok = amqp_queue_declare(conn_, channel, bytes(name), 1, 0, 0, 0, amqp_empty_table);
  if (auto err = fail_rpc("cannot inspect queue " + name))
    return err;
  return amqp_queue_info{ok->message_count, ok->consumer_count};
}

caf::error amqp_session::delete_queue(const std::string& name) {
  amqp_queue_delete(conn_, channel, bytes(name), 0, 0);
  return fail_rpc("cannot delete queue " + name);
}

caf::error amqp_session::delete_exchange(const std::string& name) {
  amqp_exchange_delete(conn_, channel, bytes(name), 0);
  return fail_rpc("cannot delete exchange " + name);
}

caf::error amqp_session::enable_confirms() {
  amqp_confirm_select(conn_, channel);
  if (auto err = fail_rpc("cannot enable publisher confirms"))
    return err;
  confirms_ = true;
  return caf::none;
}

caf::error amqp_session::publish_confirmed(const std::vector<amqp_message>& xs,
                                           std::chrono::milliseconds timeout) {
  if (xs.empty())
    return caf::none;
  auto first = next_publish_tag_;
  for (auto& x : xs) {
    amqp_table_entry_t trace;
    trace.key = amqp_cstring_bytes("trace-id");
    trace.value.kind = AMQP_FIELD_KIND_UTF8;
    trace.value.value.bytes = bytes(x.trace_id);
    amqp_basic_properties_t props;
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG
                   | AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
    props.content_type = amqp_cstring_bytes("application/json");
    props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
    props.message_id = bytes(x.message_id);
    props.headers = amqp_table_t{1, &trace};
    auto rc = amqp_basic_publish(conn_, channel, bytes(x.exchange), bytes(x.routing_key), 0, 0,
                                 &props, bytes(x.body));
    if (rc != AMQP_STATUS_OK)
      return fail("publish failed", rc);
    ++next_publish_tag_;
  }
  if (!confirms_)
    return caf::none;
  auto last = next_publish_tag_ - 1;
  std::vector<bool> confirmed(xs.size(), false);
  size_t open = xs.size();
  size_t nacked = 0;
  auto settle = [&](uint64_t tag, bool multiple, bool ack) {
    auto lo = multiple ? first : tag;
    for (auto t = std::max(lo, first); t <= std::min(tag, last); ++t) {
      auto i = t - first;
      if (!confirmed[i]) {
        confirmed[i] = true;
        --open;
        nacked += ack ? 0 : 1;
      }
    }
  };
  auto until = std::chrono::steady_clock::now() + timeout;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return fail(std::to_string(open) + " publishes unconfirmed", AMQP_STATUS_TIMEOUT);
    amqp_frame_t frame;
    auto tv = to_timeval(left);
    auto rc = amqp_simple_wait_frame_noblock(conn_, &frame, &tv);
    if (rc != AMQP_STATUS_OK)
      return fail("waiting for publisher confirms", rc);
    if (frame.frame_type != AMQP_FRAME_METHOD)
      continue;
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        auto* m = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        settle(m->delivery_tag, m->multiple != 0, true);
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        auto* m = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
        settle(m->delivery_tag, m->multiple != 0, false);
        break;
      }
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD:
        close();
        return make_error(errc::broker_failure, "the broker closed the channel while publishing");
      default:
        break;
    }
  }
  if (nacked > 0)
    return make_error(errc::broker_failure, "the broker refused " + std::to_string(nacked) + " of "
                                              + std::to_string(xs.size()) + " publishes");
  return caf::none;
}

caf::error amqp_session::consume(const std::string& queue, uint16_t prefetch, bool auto_ack) {
  amqp_basic_qos(conn_, channel, 0, prefetch, 0);
  if (auto err = fail_rpc("cannot set the prefetch"))
    return err;
  amqp_basic_consume(conn_, channel, bytes(queue), amqp_empty_bytes, 0, auto_ack ? 1 : 0, 0,
                     amqp_empty_table);
  return fail_rpc("cannot consume " + queue);
}

caf::expected<std::optional<amqp_delivery>> amqp_session::next(std::chrono::milliseconds timeout) {
  amqp_maybe_release_buffers(conn_);
  amqp_envelope_t env;
  auto tv = to_timeval(timeout);
  auto reply = amqp_consume_message(conn_, &env, &tv, 0);
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) {
    amqp_delivery x;
    x.tag = env.delivery_tag;
    x.exchange = str(env.exchange);
    x.routing_key = str(env.routing_key);
    auto& props = env.message.properties;
    if ((props._flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0)
      x.message_id = str(props.message_id);
    x.trace_id = header(props, "trace-id");
    x.body = str(env.message.body);
    x.redelivered = env.redelivered != 0;
    amqp_destroy_envelope(&env);
    return std::optional<amqp_delivery>{std::move(x)};
  }
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
    if (reply.library_error == AMQP_STATUS_TIMEOUT)
      return std::optional<amqp_delivery>{};
    if (reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      amqp_frame_t frame;
      if (auto rc = amqp_simple_wait_frame(conn_, &frame); rc != AMQP_STATUS_OK)
        return fail("reading from the broker", rc);
      if (frame.frame_type == AMQP_FRAME_METHOD
          && (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD
              || frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD
              || frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD)) {
        close();
        return make_error(errc::broker_failure, "the broker closed the consumer");
      }
      return std::optional<amqp_delivery>{};
    }
    return fail("consuming", reply.library_error);
  }
  return fail_rpc("consuming");
}

caf::error amqp_session::ack(uint64_t tag, bool multiple) {
  if (auto rc = amqp_basic_ack(conn_, channel, tag, multiple ? 1 : 0); rc != AMQP_STATUS_OK)
    return fail("ack failed", rc);
  return caf::none;
}

caf::error amqp_session::reject(uint64_t tag, bool requeue) {
  if (auto rc = amqp_basic_reject(conn_, channel, tag, requeue ? 1 : 0); rc != AMQP_STATUS_OK)
    return fail("reject failed", rc);
  return caf::none;
}

}  // namespace ordernode
