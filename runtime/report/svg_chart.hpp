// Inline SVG charts and HTML escaping for self-contained reports (no script, no network).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ordernode {

// `text` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string html_escape(const std::string& text);

struct bar {
  std::string label;
  double value = 0;
};

// Horizontal bars, one per entry, each labelled with its value.
std::string bar_chart(const std::vector<bar>& bars, const std::string& unit = "");

// One named line of a line chart, one value per point.
struct series {
  std::string name;
  std::string color;
  std::vector<double> values;
};

// Lines over shared x positions; `x_labels` name the first and last point.
std::string line_chart(const std::vector<series>& lines, const std::string& first_label,
                       const std::string& last_label);

}  // namespace ordernode
