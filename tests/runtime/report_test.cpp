#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <map>

#include <SQLiteCpp/SQLiteCpp.h>

#include "runtime/core/errors.hpp"
#include "runtime/report/report.hpp"
#include "runtime/report/svg_chart.hpp"
#include "runtime/store/report_query.hpp"
#include "runtime/store/sqlite_store.hpp"
#include "tests/support/node_output.hpp"
#include "tests/support/orders.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ordernode;
using ordernode::test::new_order;
using ordernode::test::temp_dir;

namespace {

constexpr timestamp t0 = 1'700'000'000'000'000'000;  // 2023-11-14 22:13:20 UTC
constexpr timestamp ms = 1'000'000;
constexpr timestamp sec = 1'000 * ms;

report_loader loader(const std::string& path) {
  return [path](auto deadline) {
    return load_report_data(journal_location::sqlite_file(path), deadline);
  };
}

caf::expected<std::string> render_report(const std::string& path) {
  auto data = load_report_data(journal_location::sqlite_file(path));
  if (!data)
    return std::move(data.error());
  return render_html(*data);
}

// Six orders with known outcomes, shipping attempts and timings (received at t0 + i seconds):
//   0 eu keyboard 2 VIP  completed after 100 ms, 1 shipping attempt
//   1 eu mouse    3      completed after 400 ms, 3 attempts
//   2 us keyboard 1      completed after 200 ms, 2 attempts
//   3 us mouse    5      failed in processing after 50 ms
//   4 ap <i>bad & odd</i> 1 rejected after 10 ms
//   5 ap monitor  4 VIP  still processing
struct known_journal {
  temp_dir dir;
  std::string path = dir.file("journal.db");
  std::vector<order> orders{
    new_order("keyboard", 2, "eu", true),   new_order("mouse", 3, "eu"),
    new_order("keyboard", 1, "us"),         new_order("mouse", 5, "us"),
    new_order("<i>bad & odd</i>", 1, "ap"), new_order("monitor", 4, "ap", true)};

  known_journal() {
    auto opened = open_sqlite_store({path, false, 5000});
    REQUIRE_MESSAGE(opened, describe(opened.error()));
    auto& store = **opened;
    journal_batch batch;
    batch.new_orders = orders;
    auto seqs = store.commit(batch);
    REQUIRE(seqs);
    batch.clear();
    std::map<size_t, int32_t> next;
    auto change = [&](size_t i, order_state state, stage_id stage, timestamp after,
                      const std::string& detail = "") {
      batch.changes.push_back(
        {(*seqs)[i],
         ++next[i],
         {orders[i].id, state, stage, detail, t0 + static_cast<int64_t>(i) * sec + after}});
    };
    auto ship = [&](size_t i, int attempts, timestamp done) {
      change(i, order_state::validated, stage_id::validator, 1 * ms);
      change(i, order_state::processing, stage_id::processor, 2 * ms);
      change(i, order_state::processed, stage_id::processor, 3 * ms);
      for (int n = 1; n <= attempts; ++n)
        change(i, order_state::shipping, stage_id::shipper, (3 + n) * ms,
               n == 1 ? "" : "attempt " + std::to_string(n));
      change(i, order_state::completed, stage_id::shipper, done, "tracking T");
    };
    ship(0, 1, 100 * ms);
    ship(1, 3, 400 * ms);
    ship(2, 2, 200 * ms);
    change(3, order_state::validated, stage_id::validator, 1 * ms);
    change(3, order_state::processing, stage_id::processor, 2 * ms);
    change(3, order_state::failed, stage_id::processor, 50 * ms, "processing: simulated");
    batch.errors.push_back({orders[3].id, stage_id::processor, error_type::processing, "simulated",
                            t0 + 3 * sec + 50 * ms});
    change(4, order_state::rejected, stage_id::validator, 10 * ms, "validation: name");
    batch.errors.push_back({orders[4].id, stage_id::validator, error_type::validation, "bad name",
                            t0 + 4 * sec + 10 * ms});
    change(5, order_state::validated, stage_id::validator, 1 * ms);
    change(5, order_state::processing, stage_id::processor, 2 * ms);
    REQUIRE(store.commit(batch));
    // The store stamps `received` with the commit time; move it to the known times.
    SQLite::Database db{path, SQLite::OPEN_READWRITE};
    for (size_t i = 0; i < orders.size(); ++i) {
      SQLite::Statement q{db, "UPDATE event_log SET at = ? WHERE n = 0 AND order_seq = ?"};
      q.bind(1, static_cast<int64_t>(t0 + static_cast<int64_t>(i) * sec));
      q.bind(2, static_cast<int64_t>((*seqs)[i]));
      REQUIRE(q.exec() == 1);
    }
  }
};

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("summarize_latencies takes nearest-rank percentiles") {
  std::vector<int64_t> none;
  CHECK(summarize_latencies(none).count == 0);
  std::vector<int64_t> xs;
  for (int64_t i = 100; i >= 1; --i)
    xs.push_back(i);
  auto s = summarize_latencies(xs);
  CHECK(s.count == 100);
  CHECK(s.p50 == 50);
  CHECK(s.p90 == 90);
  CHECK(s.p99 == 99);
  CHECK(s.max == 100);
  std::vector<int64_t> one{7};
  auto single = summarize_latencies(one);
  CHECK(single.p50 == 7);
  CHECK(single.p99 == 7);
}

TEST_CASE_FIXTURE(known_journal, "load_report_data reads the known numbers") {
  auto x = load_report_data(journal_location::sqlite_file(path));
  REQUIRE_MESSAGE(x, describe(x.error()));
  CHECK(x->orders == 6);
  auto count_of = [](const std::vector<count_row>& rows, const std::string& label) -> int64_t {
    for (auto& r : rows)
      if (r.label == label)
        return static_cast<int64_t>(r.count);
    return -1;
  };
  CHECK(count_of(x->by_state, "completed") == 3);
  CHECK(count_of(x->by_state, "failed") == 1);
  CHECK(count_of(x->by_state, "rejected") == 1);
  CHECK(count_of(x->by_state, "processing") == 1);
  REQUIRE(x->by_region.size() == 3);
  for (auto& r : x->by_region) {
    CHECK(r.total == 2);
    if (r.region == "eu")
      CHECK((r.completed == 2 && r.failed == 0 && r.rejected == 0));
    else if (r.region == "us")
      CHECK((r.completed == 1 && r.failed == 1 && r.rejected == 0));
    else
      CHECK((r.region == "ap" && r.completed == 0 && r.failed == 0 && r.rejected == 1));
  }
  REQUIRE(x->by_product.size() == 4);
  CHECK(x->by_product[0].product == "keyboard");
  CHECK(x->by_product[0].orders == 2);
  CHECK(x->by_product[0].quantity == 3);
  CHECK(x->by_product[1].product == "mouse");
  CHECK(x->by_product[1].quantity == 8);
  CHECK(count_of(x->error_types, "processor / processing") == 1);
  CHECK(count_of(x->error_types, "validator / validation") == 1);
  CHECK(count_of(x->failure_causes, "processor: processing: simulated") == 1);
  CHECK(count_of(x->shipping_attempts, "1") == 1);
  CHECK(count_of(x->shipping_attempts, "2") == 1);
  CHECK(count_of(x->shipping_attempts, "3") == 1);
  CHECK(x->retries == 3);
  CHECK(x->processing.count == 5);
  CHECK(x->processing.p50 == 100 * ms);
  CHECK(x->processing.p90 == 400 * ms);
  CHECK(x->processing.max == 400 * ms);
  CHECK(x->vip.count == 1);
  CHECK(x->vip.p50 == 100 * ms);
  CHECK(x->normal.count == 2);
  CHECK(x->normal.p50 == 200 * ms);
  CHECK(x->normal.p99 == 400 * ms);
  CHECK(x->first_received == t0);
  CHECK(x->last_update == t0 + 5 * sec + 2 * ms);
  uint64_t received = 0;
  uint64_t finished = 0;
  for (auto& b : x->throughput) {
    received += b.received;
    finished += b.finished;
  }
  CHECK(received == 6);
  CHECK(finished == 5);
  REQUIRE(x->bucket_width > 0);
  CHECK(x->throughput.size() <= 61);
  CHECK(x->throughput.front().received == 1);
}

TEST_CASE_FIXTURE(known_journal, "render_report is one self-contained page with the numbers") {
  auto html = render_report(path);
  REQUIRE_MESSAGE(html, describe(html.error()));
  auto& h = *html;
  CHECK(h.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(contains(h, "</html>"));
  CHECK_FALSE(contains(h, "<script"));
  const std::string svg_ns = "xmlns=\"http://www.w3.org/2000/svg\"";
  auto links = h;
  for (auto pos = links.find(svg_ns); pos != std::string::npos; pos = links.find(svg_ns))
    links.erase(pos, svg_ns.size());
  CHECK_FALSE(contains(links, "http://"));
  CHECK_FALSE(contains(links, "https://"));
  CHECK_FALSE(contains(h, "src="));
  CHECK(contains(h, "<svg"));
  CHECK(contains(h, "<tr><th>orders</th><td class=\"n\">6</td></tr>"));
  CHECK(contains(h, "<tr><th>shipping retries</th><td class=\"n\">3</td></tr>"));
  CHECK(contains(h, "<tr><td>completed</td><td class=\"n\">3</td></tr>"));
  CHECK(contains(h, "<tr><td>failed</td><td class=\"n\">1</td></tr>"));
  CHECK(contains(h,
                 "<tr><td>us</td><td class=\"n\">2</td><td class=\"n\">1</td>"
                 "<td class=\"n\">1</td><td class=\"n\">0</td></tr>"));
  CHECK(contains(h, "<tr><td>mouse</td><td class=\"n\">2</td><td class=\"n\">8</td></tr>"));
  CHECK(contains(h, "<tr><td>processor / processing</td><td class=\"n\">1</td></tr>"));
  CHECK(contains(h, "<tr><td>3</td><td class=\"n\">1</td></tr>"));
  CHECK(contains(h,
                 "<tr><td>every finished order</td><td class=\"n\">5</td><td>100.0 ms</td>"
                 "<td>400.0 ms</td><td>400.0 ms</td><td>400.0 ms</td></tr>"));
  CHECK(contains(h, "<tr><td>VIP, completed</td><td class=\"n\">1</td><td>100.0 ms</td>"));
  CHECK(contains(h, "<tr><td>normal, completed</td><td class=\"n\">2</td><td>200.0 ms</td>"));
  CHECK(contains(h, "2023-11-14 22:13:20 UTC"));
  CHECK(contains(h, "&lt;i&gt;bad &amp; odd&lt;/i&gt;"));
  CHECK_FALSE(contains(h, "<i>bad"));
  CHECK(contains(h, "<polyline"));
}

TEST_CASE_FIXTURE(known_journal, "render_summary gives the totals in a few lines") {
  auto x = load_report_data(journal_location::sqlite_file(path));
  REQUIRE(x);
  auto text = render_summary(*x);
  CHECK(contains(text, "orders: 6\n"));
  CHECK(contains(text, "  completed: 3\n"));
  CHECK(contains(text, "shipping retries: 3\n"));
  CHECK(contains(text, "errors: 2\n"));
  CHECK(contains(text, "5 orders, p50 100.0 ms, p90 400.0 ms, p99 400.0 ms, max 400.0 ms"));
}

TEST_CASE("an empty journal renders, a missing one is an error") {
  temp_dir dir;
  auto path = dir.file("empty.db");
  REQUIRE(open_sqlite_store({path, false, 5000}));
  auto html = render_report(path);
  REQUIRE(html);
  CHECK(contains(*html, "<tr><th>orders</th><td class=\"n\">0</td></tr>"));
  CHECK(contains(*html, "nothing recorded"));
  auto missing = render_report(dir.file("missing.db"));
  REQUIRE_FALSE(missing);
  CHECK(contains(describe(missing.error()), "cannot open"));
  CHECK(contains(describe(missing.error()), "missing.db"));
}

TEST_CASE("html_escape and the charts escape labels") {
  CHECK(html_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;");
  auto svg = bar_chart({{"<x>", 3}, {"y", 1.5}});
  CHECK(contains(svg, "&lt;x&gt;"));
  CHECK(contains(svg, ">3</text>"));
  CHECK(contains(svg, ">1.5</text>"));
  CHECK(contains(bar_chart({}), "nothing recorded"));
  auto line = line_chart({{"n", "#000", {1, 2, 3}}}, "start", "end");
  CHECK(contains(line, "<polyline"));
  CHECK(contains(line, ">start</text>"));
}

TEST_CASE("long and empty labels stay readable") {
  auto svg = bar_chart({{std::string(50, 'x'), 1}, {"", 2}});
  CHECK(contains(
    svg, "<title>" + std::string(50, 'x') + "</title>" + std::string(31, 'x') + "...</text>"));
  CHECK(contains(svg, "(empty)"));
}

TEST_CASE_FIXTURE(known_journal, "the HTTP hook renders the report, or a page naming the error") {
  auto hook = make_report_hook(loader(path), std::chrono::seconds(10));
  auto html = hook();
  REQUIRE(html);
  CHECK(contains(*html, "<tr><th>orders</th><td class=\"n\">6</td></tr>"));
  auto missing = make_report_hook(loader(dir.file("missing.db")), std::chrono::seconds(10))();
  REQUIRE(missing);
  CHECK(missing->rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(contains(*missing, "missing.db"));
}

TEST_CASE_FIXTURE(known_journal, "a report past its deadline is interrupted with an error") {
  auto late =
    load_report_data(journal_location::sqlite_file(path), std::chrono::steady_clock::now());
  REQUIRE_FALSE(late);
  CHECK(contains(describe(late.error()), "deadline"));
  auto hook = make_report_hook(loader(path), caf::timespan{0});
  CHECK_FALSE(hook());
  CHECK(load_report_data(journal_location::sqlite_file(path),
                         std::chrono::steady_clock::now() + std::chrono::seconds(10)));
}
