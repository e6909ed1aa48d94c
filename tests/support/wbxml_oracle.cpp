#include "support/wbxml_oracle.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "support/cluster.h"
#include "support/process.h"

namespace easd::test {

namespace {

// A directory of its own for one run of a tool, removed with what the tool left in it.
class ScratchDir {
public:
    ScratchDir() {
        char tmpl[] = "/tmp/easd-wbxml-oracle-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~ScratchDir() {
        for (const char* f : {"in", "out"}) unlink((path_ + "/" + f).c_str());
        rmdir(path_.c_str());
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    std::string file(const char* name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string run_tool(std::vector<std::string> argv, const std::string& input) {
    ScratchDir dir;
    {
        std::ofstream in(dir.file("in"), std::ios::binary | std::ios::trunc);
        in << input;
    }
    argv.insert(argv.end(), {"-o", dir.file("out"), dir.file("in")});
    ProcessResult r = run_process(argv);
    if (r.exit_code != 0) throw std::runtime_error(argv[0] + " failed (" + std::to_string(r.exit_code) + "): " + r.out + r.err);
    return read_file(dir.file("out"));
}

}  // namespace

bool have_wbxml_tools() {
    return run_process({"sh", "-c", "command -v wbxml2xml && command -v xml2wbxml"}).exit_code == 0;
}

std::string libwbxml_decode(const std::string& wbxml) {
    return run_tool({"wbxml2xml", "-k", "-l", "ACTIVESYNC", "-m", "0"}, wbxml);
}

std::string libwbxml_encode(const std::string& xml) {
    return run_tool({"xml2wbxml", "-k", "-a", "-n", "-v", "1.3"}, xml);
}

}  // namespace easd::test
