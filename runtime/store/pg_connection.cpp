#include "runtime/store/pg_connection.hpp"

#include <poll.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include <libpq-fe.h>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

// libpq's messages span lines ("...failed\n\tIs the server running..."): one line for logs.
std::string trimmed(const char* message) {
  std::string result;
  for (auto p = message; p != nullptr && *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t' || *p == '\r') {
      if (!result.empty() && result.back() != ' ')
        result += ' ';
    } else {
      result += *p;
    }
  }
  while (!result.empty() && result.back() == ' ')
    result.pop_back();
  return result;
}

std::vector<const char*> values_of(const std::vector<std::string>& params) {
  std::vector<const char*> result;
  result.reserve(params.size());
  for (auto& x : params)
    result.push_back(x.c_str());
  return result;
}

}  // namespace

pg_rows::pg_rows(pg_result* x) : ptr_(x, PQclear) {
  // nop
}

int pg_rows::size() const {
  return PQntuples(ptr_.get());
}

std::string pg_rows::text(int row, int column) const {
  return std::string{PQgetvalue(ptr_.get(), row, column),
                     static_cast<size_t>(PQgetlength(ptr_.get(), row, column))};
}

int64_t pg_rows::int64(int row, int column) const {
  return std::strtoll(PQgetvalue(ptr_.get(), row, column), nullptr, 10);
}

bool pg_rows::boolean(int row, int column) const {
  return PQgetvalue(ptr_.get(), row, column)[0] == 't';
}

int64_t pg_rows::affected() const {
  return std::strtoll(PQcmdTuples(ptr_.get()), nullptr, 10);
}

void pg_array::next() {
  items_ += items_.empty() ? '{' : ',';
}

void pg_array::add(int64_t x) {
  next();
  items_ += std::to_string(x);
}

void pg_array::add(bool x) {
  next();
  items_ += x ? 't' : 'f';
}

void pg_array::add(const std::string& x) {
  next();
  items_ += '"';
  for (auto c : x) {
    if (c == '"' || c == '\\')
      items_ += '\\';
    items_ += c;
  }
  items_ += '"';
}

caf::expected<std::unique_ptr<pg_connection>> pg_connection::open(
  const std::string& url, std::chrono::milliseconds statement_timeout,
  std::chrono::seconds connect_timeout) {
  auto timeout = std::to_string(connect_timeout.count());
  // A server that goes silent (a cut network, a paused machine) fails the connection within
  // about the statement timeout instead of the minutes TCP waits by itself.
  auto unacked_ms = std::to_string(statement_timeout.count() + 5000);
  // The URL comes last: what it says overrides the defaults before it.
  const char* keys[] = {
    "connect_timeout",     "application_name", "client_encoding",  "keepalives", "keepalives_idle",
    "keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname",     nullptr};
  const char* values[] = {timeout.c_str(),    "ordernode", "UTF8", "1", "10", "5", "3",
                          unacked_ms.c_str(), url.c_str(), nullptr};
  auto conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr)
    return make_error(errc::store_failure, "out of memory for a PostgreSQL connection");
  std::unique_ptr<pg_connection> result{new pg_connection(conn)};
  if (PQstatus(conn) != CONNECTION_OK)
    return make_error(errc::store_failure, trimmed(PQerrorMessage(conn)));
  PQsetNoticeProcessor(
    conn, [](void*, const char*) {}, nullptr);
  if (PQsetnonblocking(conn, 1) != 0)
    return result->fail("cannot switch the connection to non-blocking sends");
  // A 202 means the order is on the server's disk, whatever the role or database says.
  if (auto err = result->exec("SET statement_timeout = " + std::to_string(statement_timeout.count())
                              + "; SET synchronous_commit = on"))
    return err;
  return result;
}

pg_connection::pg_connection(pg_conn* x) : conn_(x) {
  // nop
}

pg_connection::~pg_connection() {
  PQfinish(conn_);
}

bool pg_connection::alive() const {
  return !broken_ && PQstatus(conn_) == CONNECTION_OK;
}

caf::error pg_connection::broken(const std::string& what) {
  broken_ = true;
  return fail(what);
}

caf::error pg_connection::fail(const std::string& what) const {
  auto message = trimmed(PQerrorMessage(conn_));
  return make_error(errc::store_failure, what + (message.empty() ? "" : ": " + message));
}

caf::expected<pg_rows> pg_connection::result_of(pg_result* x, const std::string& what) const {
  if (x == nullptr)
    return fail(what);
  pg_rows rows{x};
  switch (PQresultStatus(x)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
      return rows;
    default:
      return make_error(errc::store_failure, what + ": " + trimmed(PQresultErrorMessage(x)));
  }
}

caf::error pg_connection::exec(const std::string& sql) {
  auto result = result_of(PQexec(conn_, sql.c_str()), "statement failed");
  return result ? caf::none : result.error();
}

caf::expected<pg_rows> pg_connection::query(const std::string& sql,
                                            const std::vector<std::string>& params) {
  auto values = values_of(params);
  return result_of(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                                values.data(), nullptr, nullptr, 0),
                   "query failed");
}

caf::error pg_connection::prepare(const std::string& name, const std::string& sql) {
  auto result =
    result_of(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr), "cannot prepare " + name);
  return result ? caf::none : result.error();
}

void pg_connection::send(const std::string& name, const std::vector<std::string>& params) {
  if (send_failed_)
    return;
  if (queued_ == 0
      && (PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_) != 1)) {
    send_failed_ = true;
    return;
  }
  auto values = values_of(params);
  if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                          nullptr, nullptr, 0)
      != 1)
    send_failed_ = true;
  else
    ++queued_;
}

// Sends what the pipeline holds while taking in what the server answers meanwhile: a server
// that cannot write its results stops reading, and a client that only writes would wait forever.
caf::error pg_connection::flush() {
  for (;;) {
    auto rc = PQflush(conn_);
    if (rc == 0)
      return caf::none;
    if (rc < 0)
      return fail("cannot send to PostgreSQL");
    pollfd fd{PQsocket(conn_), POLLIN | POLLOUT, 0};
    if (::poll(&fd, 1, -1) < 0) {
      if (errno == EINTR)
        continue;
      return fail("cannot wait for PostgreSQL");
    }
    if ((fd.revents & POLLIN) != 0 && PQconsumeInput(conn_) != 1)
      return fail("cannot read from PostgreSQL");
  }
}

// Anything but a clean answer to every statement breaks the connection: a pipeline half sent or
// half read would mix this commit with the next one.
caf::expected<std::vector<pg_rows>> pg_connection::sync() {
  auto queued = std::exchange(queued_, 0);
  auto send_failed = std::exchange(send_failed_, false);
  if (send_failed || PQpipelineSync(conn_) != 1)
    return broken("cannot send to PostgreSQL");
  if (auto err = flush())
    return broken(describe(err));
  std::vector<pg_rows> result;
  result.reserve(queued);
  caf::error err;
  auto lost = [&](const char* what) {
    if (!err)
      return broken(what);
    broken_ = true;
    return err;
  };
  for (size_t i = 0; i < queued; ++i) {
    auto x = PQgetResult(conn_);
    if (x == nullptr || PQresultStatus(x) == PGRES_PIPELINE_SYNC) {
      PQclear(x);
      return lost("the pipeline ended early");
    }
    // A failed statement fails the rest: each answers PGRES_PIPELINE_ABORTED.
    auto rows = result_of(x, "statement failed");
    if (rows)
      result.push_back(std::move(*rows));
    else if (!err)
      err = rows.error();
    if (auto extra = PQgetResult(conn_)) {
      PQclear(extra);
      return broken("a statement answered twice");
    }
  }
  auto end = PQgetResult(conn_);
  auto synced = end != nullptr && PQresultStatus(end) == PGRES_PIPELINE_SYNC;
  PQclear(end);
  if (!synced || PQexitPipelineMode(conn_) != 1)
    return lost("the pipeline did not end");
  if (err)
    return err;
  return result;
}

caf::error pg_connection::copy_in(const std::string& copy_sql, const std::string& data) {
  auto started = PQexec(conn_, copy_sql.c_str());
  if (started == nullptr || PQresultStatus(started) != PGRES_COPY_IN) {
    auto rows = result_of(started, copy_sql);
    return rows ? make_error(errc::store_failure, copy_sql + " reads nothing from the client")
                : rows.error();
  }
  PQclear(started);
  // Blocking while the data goes out: a COPY has nothing to read back before its end.
  PQsetnonblocking(conn_, 0);
  auto sent = PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1
              && PQputCopyEnd(conn_, nullptr) == 1;
  PQsetnonblocking(conn_, 1);
  if (!sent)
    return fail("cannot send the rows of " + copy_sql);
  caf::error err;
  while (auto x = PQgetResult(conn_)) {
    auto rows = result_of(x, copy_sql);
    if (!rows && !err)
      err = rows.error();
  }
  return err;
}

std::string pg_url_with_database(const std::string& url, const std::string& dbname) {
  auto query = url.find('?');
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos || (query != std::string::npos && slash > query))
    return url.substr(0, query) + "/" + dbname
           + (query == std::string::npos ? "" : url.substr(query));
  return url.substr(0, slash + 1) + dbname + (query == std::string::npos ? "" : url.substr(query));
}

int pg_connection::backend_pid() const {
  return PQbackendPID(conn_);
}

}  // namespace ordernode
