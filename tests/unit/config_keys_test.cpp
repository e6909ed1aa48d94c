// The registry of config keys (common/config_keys.h): what a misspelt key is taken for, the
// warning line, that the shipped config and the documentation name only registered keys, and that
// reading an unregistered key stops a debug build.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/config_keys.h"
#include "support/cluster.h"

using namespace easd;

namespace {

std::string suggestion(const std::string& unknown) {
    auto key = closest_config_key(unknown);
    return key ? std::string(*key) : std::string("(none)");
}

// The `key` of every `key = value` line of `text`, commented-out examples (`# key = value`)
// included, whatever their indentation (README's code blocks are indented).
std::vector<std::string> keys_of_example_lines(const std::string& text) {
    static const std::regex line(R"(^\s*#?\s*([a-z][a-z0-9_]*) = \S)");
    std::vector<std::string> keys;
    std::istringstream in(text);
    std::string l;
    std::smatch m;
    while (std::getline(in, l))
        if (std::regex_search(l, m, line)) keys.push_back(m[1]);
    return keys;
}

}  // namespace

TEST_CASE("config keys: a misspelt key is taken for the registered key it is closest to", "[config][unit]") {
    CHECK(suggestion("heartbeat_maxx") == "heartbeat_max");  // one letter too many
    CHECK(suggestion("max_parkd") == "max_parked");          // one too few
    CHECK(suggestion("databse") == "database");
    CHECK(suggestion("imap_hsot") == "imap_host");           // two letters swapped: distance 2
    CHECK(suggestion("thraeds") == "threads");
    CHECK(suggestion("Log_Level") == "log_level");           // case
    CHECK(suggestion("HeartbeatMax") == "heartbeat_max");    // case and underscores, beyond distance 2
    CHECK(suggestion("heartbeat-max") == "heartbeat_max");   // spelt as the command-line option
    CHECK(suggestion("loginfreefailures") == "login_free_failures");
    // The closest wins over one further away that is also within reach.
    CHECK(suggestion("heartbeat_mn") == "heartbeat_min");  // 1 from heartbeat_min, 2 from heartbeat_max
    // Nothing close: no guess.
    CHECK(suggestion("frobnicate") == "(none)");
    CHECK(suggestion("heartbeat") == "(none)");  // 4 letters short of either heartbeat key
    CHECK(suggestion("easd_push_token") == "(none)");  // Dovecot's setting, not easd's (push_token)
    CHECK(suggestion("") == "(none)");

    CHECK(is_config_key("heartbeat_max"));
    CHECK_FALSE(is_config_key("heartbeat_maxx"));
    CHECK_FALSE(is_config_key("Heartbeat_Max"));  // keys are case-sensitive: this one is unknown
}

TEST_CASE("config keys: one warning per unknown key of a file, with the suggestion when there is one",
          "[config][unit]") {
    const std::string dir = test::make_temp_dir("easd-config-keys");
    const std::string path = dir + "/easd.conf";
    test::write_file(path,
                     "# a comment = not a key\n"
                     "threads = 4\n"
                     "heartbeat_maxx = 900\n"
                     "frobnicate = yes\n"
                     "imap_port = 143\n");
    std::string error;
    auto config = Config::load_file(path, &error);
    REQUIRE(config);
    const std::vector<std::string> expected = {
        "config " + path + ": unknown key 'frobnicate' (ignored)",
        "config " + path + ": unknown key 'heartbeat_maxx' (ignored); did you mean 'heartbeat_max'?",
    };
    CHECK(unknown_config_key_warnings(*config) == expected);
    // Ignored, not refused: the known keys read as ever.
    CHECK(config->get_int("threads", 16) == 4);
    CHECK(config->get("heartbeat_max", "1800") == "1800");

    test::write_file(path, "threads = 4\ndatabase = dbname=easd\n");
    config = Config::load_file(path, &error);
    REQUIRE(config);
    CHECK(unknown_config_key_warnings(*config).empty());
    test::remove_tree(dir);
}

TEST_CASE("config keys: the shipped easd.conf and README's Dovecot example use registered keys; easd(8) documents "
          "exactly the registered keys",
          "[config][unit]") {
    const std::string shipped = test::read_file(std::string(EASD_SOURCE_DIR) + "/packaging/easd.conf");
    const std::vector<std::string> shipped_keys = keys_of_example_lines(shipped);
    // Set ones (socket) and commented-out examples (# log_level = info) alike; a parser that found
    // nothing would prove nothing.
    CHECK(std::count(shipped_keys.begin(), shipped_keys.end(), "socket") == 1);
    CHECK(std::count(shipped_keys.begin(), shipped_keys.end(), "console_idle_minutes") == 1);
    REQUIRE(shipped_keys.size() >= 10);
    for (const std::string& key : shipped_keys) {
        INFO("packaging/easd.conf: " << key);
        CHECK(is_config_key(key));
    }

    // easd(8)'s CONFIGURATION: each key is the tag of a `.TP` item, `.B key` or
    // `.BR heartbeat_min ", " heartbeat_max " (reload)"` (the quoted parts are not keys).
    const std::string man = test::read_file(std::string(EASD_SOURCE_DIR) + "/packaging/man/easd.8");
    const auto section = man.find(".SH CONFIGURATION");
    REQUIRE(section != std::string::npos);
    const std::string configuration = man.substr(section, man.find("\n.SH ", section + 1) - section);
    static const std::regex man_tag(R"(\n\.TP\n\.BR? ([^\n]*))");
    static const std::regex quoted(R"("[^"]*")");
    static const std::regex key_word(R"([a-z][a-z0-9_]*)");
    std::vector<std::string> man_keys;
    for (std::sregex_iterator it(configuration.begin(), configuration.end(), man_tag), end; it != end; ++it) {
        std::istringstream words(std::regex_replace((*it)[1].str(), quoted, " "));
        for (std::string w; words >> w;)
            if (std::regex_match(w, key_word)) man_keys.push_back(w);
    }
    CHECK(std::count(man_keys.begin(), man_keys.end(), "heartbeat_max") == 1);
    REQUIRE(man_keys.size() >= 40);
    for (const std::string& key : man_keys) {
        INFO("packaging/man/easd.8: " << key);
        CHECK(is_config_key(key));
    }
    // And the other way round: a key the programs read is one easd(8) documents.
    for (const ConfigKey& key : kConfigKeys) {
        INFO("registered, not in packaging/man/easd.8: " << key.name);
        CHECK(std::count(man_keys.begin(), man_keys.end(), key.name) == 1);
    }

    const std::string readme = test::read_file(std::string(EASD_SOURCE_DIR) + "/README.md");
    const auto begin = readme.find("## Running easd in front of Dovecot");
    REQUIRE(begin != std::string::npos);
    const auto end = readme.find("\n## ", begin + 1);
    const std::vector<std::string> dovecot_keys = keys_of_example_lines(readme.substr(begin, end - begin));
    CHECK(std::count(dovecot_keys.begin(), dovecot_keys.end(), "imap_inline_first_mirror") == 1);
    REQUIRE(dovecot_keys.size() >= 10);
    for (const std::string& key : dovecot_keys) {
        INFO("README, Running easd in front of Dovecot: " << key);
        CHECK(is_config_key(key));
    }
}

#ifndef NDEBUG
TEST_CASE("config keys: a debug build stops at a key read without being registered", "[config][unit]") {
    Config config;
    config.set("heartbeat_max", "900");
    CHECK(config.get("heartbeat_max") == "900");
    // In a child: the check aborts the process, naming the key on stderr.
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The abort as it is, not as Catch's handler would report it (a failed test of its own).
        std::signal(SIGABRT, SIG_DFL);
        ::dup2(pipe_fds[1], 2);
        ::close(pipe_fds[0]);
        (void)config.get("not_registered_anywhere");
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string said;
    char buf[512];
    for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGABRT);
    CHECK(said.find("config key 'not_registered_anywhere' is read but not registered") != std::string::npos);
}
#endif
