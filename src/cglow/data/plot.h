// A line plot as a PNG, for training curves.
#pragma once

#include <string>
#include <vector>

namespace cglow {

// y against x, with the axes' ranges written in the corners; DataError naming the file when it cannot
// be written. Non-finite values are left out.
void write_line_plot(const std::string& path, const std::vector<double>& x, const std::vector<double>& y,
                     const std::string& title);

}  // namespace cglow
