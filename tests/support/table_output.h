// Reading the tables easctl prints: cells are separated by two or more spaces (a cell never holds
// two spaces in a row; empty cells are printed as "-").
#pragma once

#include <string>
#include <vector>

namespace easd::test {

// The cells of one printed line.
std::vector<std::string> table_cells(const std::string& line);

// Every line of `out`, as cells.
std::vector<std::vector<std::string>> table_rows(const std::string& out);

}  // namespace easd::test
