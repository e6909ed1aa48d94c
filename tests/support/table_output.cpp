#include "support/table_output.h"

#include <sstream>

namespace easd::test {

std::vector<std::string> table_cells(const std::string& line) {
    std::vector<std::string> cells;
    std::size_t pos = 0;
    while (pos < line.size()) {
        std::size_t gap = line.find("  ", pos);
        cells.push_back(line.substr(pos, gap == std::string::npos ? std::string::npos : gap - pos));
        if (gap == std::string::npos) break;
        pos = line.find_first_not_of(' ', gap);
    }
    return cells;
}

std::vector<std::vector<std::string>> table_rows(const std::string& out) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) rows.push_back(table_cells(line));
    return rows;
}

}  // namespace easd::test
