#include "support/wbxml_corpus.h"

#include <dirent.h>

#include <algorithm>

namespace easd::test {

std::string wbxml_corpus_dir() { return std::string(EASD_SOURCE_DIR) + "/tests/data/wbxml"; }

std::vector<std::string> wbxml_corpus_files() {
    std::vector<std::string> out;
    if (DIR* d = opendir(wbxml_corpus_dir().c_str())) {
        while (dirent* e = readdir(d)) {
            std::string n = e->d_name;
            if (n.size() > 4 && n.compare(n.size() - 4, 4, ".xml") == 0) out.push_back(n);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace easd::test
