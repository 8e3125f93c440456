#include "runtime/report/svg_chart.hpp"

#include <algorithm>
#include <cstdio>

namespace ordernode {

namespace {

std::string number(double x) {
  char buf[32];
  if (x == static_cast<double>(static_cast<int64_t>(x)))
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(x));
  else
    std::snprintf(buf, sizeof(buf), "%.1f", x);
  return buf;
}

// At most `max` bytes of `label`, cut at a character boundary and marked with an ellipsis.
std::string shorten(const std::string& label, size_t max) {
  if (label.empty())
    return "(empty)";
  if (label.size() <= max)
    return label;
  auto cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80)
    --cut;
  return label.substr(0, cut) + "...";
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string result;
  result.reserve(text.size());
  for (auto c : text) {
    switch (c) {
      case '&':
        result += "&amp;";
        break;
      case '<':
        result += "&lt;";
        break;
      case '>':
        result += "&gt;";
        break;
      case '"':
        result += "&quot;";
        break;
      case '\'':
        result += "&#39;";
        break;
      default:
        result += c;
    }
  }
  return result;
}

std::string bar_chart(const std::vector<bar>& bars, const std::string& unit) {
  constexpr int label_width = 220;
  constexpr int bar_width = 420;
  constexpr int row = 22;
  if (bars.empty())
    return "<p class=\"empty\">nothing recorded</p>\n";
  double top = 0;
  for (auto& b : bars)
    top = std::max(top, b.value);
  auto height = static_cast<int>(bars.size()) * row + 4;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\""
                    + std::to_string(label_width + bar_width + 90) + "\" height=\""
                    + std::to_string(height) + "\">\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    auto y = static_cast<int>(i) * row + 2;
    auto w = top > 0 ? static_cast<int>(bars[i].value / top * bar_width) : 0;
    svg += "<text x=\"" + std::to_string(label_width - 6) + "\" y=\"" + std::to_string(y + 15)
           + "\" text-anchor=\"end\"><title>" + html_escape(bars[i].label) + "</title>"
           + html_escape(shorten(bars[i].label, 34)) + "</text>";
    svg += "<rect x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y + 3)
           + "\" width=\"" + std::to_string(std::max(w, 1)) + "\" height=\""
           + std::to_string(row - 6) + "\" fill=\"#4a7fb5\"/>";
    svg += "<text x=\"" + std::to_string(label_width + std::max(w, 1) + 6) + "\" y=\""
           + std::to_string(y + 15) + "\">" + number(bars[i].value) + html_escape(unit)
           + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string line_chart(const std::vector<series>& lines, const std::string& first_label,
                       const std::string& last_label) {
  constexpr int width = 720;
  constexpr int height = 220;
  constexpr int left = 50;
  constexpr int bottom = 30;
  size_t points = 0;
  double top = 0;
  for (auto& s : lines) {
    points = std::max(points, s.values.size());
    for (auto v : s.values)
      top = std::max(top, v);
  }
  if (points == 0)
    return "<p class=\"empty\">nothing recorded</p>\n";
  auto plot_w = width - left - 10;
  auto plot_h = height - bottom - 10;
  auto x_of = [&](size_t i) {
    return left + (points > 1 ? static_cast<int>(i) * plot_w / static_cast<int>(points - 1) : 0);
  };
  auto y_of = [&](double v) {
    return 10 + plot_h - (top > 0 ? static_cast<int>(v / top * plot_h) : 0);
  };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\""
                    + std::to_string(width) + "\" height=\"" + std::to_string(height) + "\">\n";
  svg += "<line x1=\"" + std::to_string(left) + "\" y1=\"" + std::to_string(10 + plot_h)
         + "\" x2=\"" + std::to_string(width - 10) + "\" y2=\"" + std::to_string(10 + plot_h)
         + "\" stroke=\"#888\"/>";
  svg += "<line x1=\"" + std::to_string(left) + "\" y1=\"10\" x2=\"" + std::to_string(left)
         + "\" y2=\"" + std::to_string(10 + plot_h) + "\" stroke=\"#888\"/>\n";
  svg += "<text x=\"" + std::to_string(left - 4) + "\" y=\"16\" text-anchor=\"end\">" + number(top)
         + "</text>";
  svg += "<text x=\"" + std::to_string(left - 4) + "\" y=\"" + std::to_string(10 + plot_h)
         + "\" text-anchor=\"end\">0</text>\n";
  svg += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(height - 8) + "\">"
         + html_escape(first_label) + "</text>";
  svg += "<text x=\"" + std::to_string(width - 10) + "\" y=\"" + std::to_string(height - 8)
         + "\" text-anchor=\"end\">" + html_escape(last_label) + "</text>\n";
  int legend_x = left + 10;
  for (auto& s : lines) {
    std::string pts;
    for (size_t i = 0; i < s.values.size(); ++i)
      pts += std::to_string(x_of(i)) + "," + std::to_string(y_of(s.values[i])) + " ";
    svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + html_escape(s.color)
           + "\" points=\"" + pts + "\"/>\n";
    svg += "<rect x=\"" + std::to_string(legend_x) + "\" y=\"14\" width=\"12\" height=\"4\" fill=\""
           + html_escape(s.color) + "\"/><text x=\"" + std::to_string(legend_x + 16)
           + "\" y=\"20\">" + html_escape(s.name) + "</text>\n";
    legend_x += 130;
  }
  return svg + "</svg>\n";
}

}  // namespace ordernode
