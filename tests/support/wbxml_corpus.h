// The WBXML test corpus (tests/data/wbxml/*.xml), shared by the codec and the libwbxml2 tests.
#pragma once

#include <string>
#include <vector>

namespace easd::test {

std::string wbxml_corpus_dir();
// The corpus file names (not paths), sorted.
std::vector<std::string> wbxml_corpus_files();

}  // namespace easd::test
