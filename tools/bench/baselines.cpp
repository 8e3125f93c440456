#include "tools/bench/baselines.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <SQLiteCpp/SQLiteCpp.h>
#include <caf/all.hpp>

#include "runtime/core/errors.hpp"
#include "runtime/store/pg_connection.hpp"
#include "tools/bench/database_files_guard.hpp"

namespace ordernode::bench {

namespace {

using clock_type = std::chrono::steady_clock;

using ack_atom = caf::atom_constant<caf::atom("bench_ack")>;

constexpr std::size_t window = 8192;
constexpr std::size_t ack_every = 1024;

struct bench_order {
  std::string id;
  std::string product;
  std::int32_t quantity = 0;
  std::string region;
  bool vip = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bench_order& x) {
  return f(caf::meta::type_name("bench_order"), x.id, x.product, x.quantity, x.region, x.vip);
}

class uuid_source {
public:
  std::string next() {
    static constexpr char digits[] = "0123456789abcdef";
    std::uint64_t hi = rng_();
    std::uint64_t lo = rng_();
    std::string out(36, '-');
    std::size_t bit = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (i == 8 || i == 13 || i == 18 || i == 23)
        continue;
      auto& word = bit < 64 ? hi : lo;
      out[i] = digits[(word >> (bit % 64)) & 0xf];
      bit += 4;
    }
    out[14] = '4';
    out[19] = digits[8 | (lo & 0x3)];
    return out;
  }

private:
  std::mt19937_64 rng_{0x0bde5eed};
};

struct run_timing {
  clock_type::time_point start;
  clock_type::time_point end;
};

class receiver_actor : public caf::event_based_actor {
public:
  receiver_actor(caf::actor_config& cfg, std::size_t n, std::shared_ptr<run_timing> timing,
                 std::promise<void> done)
      : caf::event_based_actor(cfg), n_(n), timing_(std::move(timing)), done_(std::move(done)) {}

  caf::behavior make_behavior() override {
    return {
      [this](const bench_order&) {
        if (++received_ == n_) {
          timing_->end = clock_type::now();
          done_.set_value();
          quit();
        } else if (received_ % ack_every == 0) {
          send(caf::actor_cast<caf::actor>(current_sender()), ack_atom::value,
               static_cast<std::uint64_t>(ack_every));
        }
      },
    };
  }

private:
  std::size_t n_;
  std::size_t received_ = 0;
  std::shared_ptr<run_timing> timing_;
  std::promise<void> done_;
};

class sender_actor : public caf::event_based_actor {
public:
  sender_actor(caf::actor_config& cfg, caf::actor receiver, std::size_t n,
               std::shared_ptr<run_timing> timing)
      : caf::event_based_actor(cfg),
        receiver_(std::move(receiver)),
        n_(n),
        timing_(std::move(timing)) {
    uuid_source ids;
    order_.id = ids.next();
    order_.product = "widget-standard";
    order_.quantity = 3;
    order_.region = "eu-west";
    order_.vip = true;
  }

  caf::behavior make_behavior() override {
    timing_->start = clock_type::now();
    send_more(window);
    return {
      [this](ack_atom, std::uint64_t acked) { send_more(static_cast<std::size_t>(acked)); },
    };
  }

private:
  void send_more(std::size_t count) {
    auto stop = std::min(n_, sent_ + count);
    for (; sent_ < stop; ++sent_)
      send(receiver_, order_);
    if (sent_ == n_)
      quit();
  }

  caf::actor receiver_;
  std::size_t n_;
  std::size_t sent_ = 0;
  std::shared_ptr<run_timing> timing_;
  bench_order order_;
};

double per_second(std::size_t count, clock_type::duration elapsed) {
  auto seconds = std::chrono::duration<double>(elapsed).count();
  if (seconds <= 0)
    seconds = std::chrono::duration<double>(clock_type::duration{1}).count();
  return static_cast<double>(count) / seconds;
}

std::int64_t unix_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

double caf_one_way_rate(caf::actor_system& sys, std::size_t n) {
  if (n == 0)
    return 0;
  auto timing = std::make_shared<run_timing>();
  std::promise<void> done;
  auto finished = done.get_future();
  {
    auto receiver = sys.spawn<receiver_actor>(n, timing, std::move(done));
    sys.spawn<sender_actor>(std::move(receiver), n, timing);
  }
  finished.get();
  return per_second(n, timing->end - timing->start);
}

double sqlite_batched_insert_rate(const sqlite_options& options, std::size_t n, std::size_t batch) {
  if (batch == 0)
    throw std::invalid_argument("sqlite_batched_insert_rate: batch == 0");
  if (n == 0)
    return 0;
  database_files_guard guard{options.path};
  SQLite::Database db{options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE};
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(options.fsync_every_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  db.exec("PRAGMA journal_size_limit=" + std::to_string(options.wal_limit_bytes));
  db.exec(
    "CREATE TABLE orders ("
    "id TEXT NOT NULL, product TEXT NOT NULL, "
    "quantity INTEGER NOT NULL, region TEXT NOT NULL, "
    "vip INTEGER NOT NULL, created_at INTEGER NOT NULL)");
  SQLite::Statement insert{db,
                           "INSERT INTO orders (id, product, quantity, "
                           "region, vip, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)"};
  static constexpr const char* products[] = {"widget-standard", "widget-pro", "gadget", "gizmo-xl"};
  static constexpr const char* regions[] = {"eu-west", "us-east", "ap-south"};
  uuid_source ids;
  auto start = clock_type::now();
  for (std::size_t done = 0; done < n;) {
    SQLite::Transaction tx{db};
    auto stop = std::min(n, done + batch);
    for (; done < stop; ++done) {
      insert.bind(1, ids.next());
      insert.bindNoCopy(2, products[done % 4]);
      insert.bind(3, static_cast<std::int32_t>(done % 10 + 1));
      insert.bindNoCopy(4, regions[done % 3]);
      insert.bind(5, static_cast<std::int32_t>(done % 7 == 0));
      insert.bind(6, static_cast<std::int64_t>(unix_millis()));
      insert.exec();
      insert.reset();
    }
    tx.commit();
  }
  auto elapsed = clock_type::now() - start;
  return per_second(n, elapsed);
}

double pg_copy_rate(const std::string& url, std::size_t n, std::size_t batch) {
  if (batch == 0)
    throw std::invalid_argument("pg_copy_rate: batch == 0");
  if (n == 0)
    return 0;
  auto conn = pg_connection::open(url, std::chrono::minutes{10});
  if (!conn)
    throw std::runtime_error(describe(conn.error()));
  auto& db = **conn;
  auto check = [](const caf::error& err) {
    if (err)
      throw std::runtime_error(describe(err));
  };
  check(db.exec("DROP TABLE IF EXISTS copy_baseline"));
  check(
    db.exec("CREATE TABLE copy_baseline (id TEXT NOT NULL, product TEXT NOT NULL, "
            "quantity INTEGER NOT NULL, region TEXT NOT NULL, vip BOOLEAN NOT NULL, "
            "created_at BIGINT NOT NULL)"));
  static constexpr const char* products[] = {"widget-standard", "widget-pro", "gadget", "gizmo-xl"};
  static constexpr const char* regions[] = {"eu-west", "us-east", "ap-south"};
  uuid_source ids;
  std::string rows;
  auto start = clock_type::now();
  for (std::size_t done = 0; done < n;) {
    rows.clear();
    auto stop = std::min(n, done + batch);
    for (; done < stop; ++done) {
      rows += ids.next();
      rows += '\t';
      rows += products[done % 4];
      rows += '\t';
      rows += std::to_string(done % 10 + 1);
      rows += '\t';
      rows += regions[done % 3];
      rows += done % 7 == 0 ? "\tt\t" : "\tf\t";
      rows += std::to_string(unix_millis());
      rows += '\n';
    }
    check(db.copy_in("COPY copy_baseline FROM STDIN", rows));
  }
  auto elapsed = clock_type::now() - start;
  check(db.exec("DROP TABLE copy_baseline"));
  return per_second(n, elapsed);
}

std::size_t peak_rss_bytes() {
  std::ifstream status{"/proc/self/status"};
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::size_t kib = 0;
      if (status >> kib)
        return kib * 1024;
      return 0;
    }
    status.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace ordernode::bench
