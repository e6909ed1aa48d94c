#include "commands/protocol_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "common/log.h"

namespace easd::commands {

namespace {
// File names from what a device sent: keep them inside the directory and readable.
std::string safe_name(const std::string& s) {
    std::string out;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '-' || c == '_' || c == '@';
        out += ok ? c : '_';
    }
    if (out.empty() || out[0] == '.') out.insert(out.begin(), '_');
    return out;
}

// Secrets a request may carry in its body: Settings DevicePassword's recovery password, and the
// credentials a Search of a document library may carry.
bool is_secret(wbxml::Tag t) { return t == wbxml::tag::Settings::Password || t == wbxml::tag::Search::Password; }

bool has_secret(const wbxml::Node& n) {
    if (is_secret(n.tag)) return true;
    for (const auto& c : n.children)
        if (has_secret(c)) return true;
    return false;
}

void hide_secrets(wbxml::Node& n) {
    if (is_secret(n.tag)) {
        n.content_kind = wbxml::Node::Content::Text;
        n.content = "(hidden)";
        n.children.clear();
    }
    for (auto& c : n.children) hide_secrets(c);
}

// The document as the log shows it: secrets replaced (a copy only when there is one).
std::string loggable_xml(const wbxml::Node& n) {
    if (!has_secret(n)) return wbxml::to_xml(n);
    wbxml::Node copy = n;
    hide_secrets(copy);
    return wbxml::to_xml(copy);
}
}  // namespace

std::string ProtocolLog::path_for(const std::string& user, const std::string& device_id) const {
    return dir_ + "/" + safe_name(user) + "/" + safe_name(device_id) + ".log";
}

void ProtocolLog::write(const ProtocolLogEntry& e) const {
    if (dir_.empty()) return;
    std::string user_dir = dir_ + "/" + safe_name(e.user);
    mkdir(dir_.c_str(), 0750);
    mkdir(user_dir.c_str(), 0750);
    std::string path = path_for(e.user, e.device_id);

    std::string text = "=== " + utc_timestamp() + " user=" + e.user + " device=" + e.device_id +
                       " cmd=" + e.command + " method=" + e.method + " version=" + e.version +
                       " status=" + std::to_string(e.http_status) + "\n";
    if (!e.note.empty()) text += "note: " + e.note + "\n";
    text += "--- request\n";
    text += e.request ? loggable_xml(*e.request) : std::string("(no body)\n");
    if (text.back() != '\n') text += '\n';
    text += "--- response\n";
    text += e.response ? loggable_xml(*e.response) : std::string("(no body)\n");
    if (text.back() != '\n') text += '\n';

    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        EASD_LOG_WARN("protocol log %s: %s", path.c_str(), std::strerror(errno));
        return;
    }
    // One write with O_APPEND keeps entries of concurrent workers whole.
    if (::write(fd, text.data(), text.size()) < 0) EASD_LOG_WARN("protocol log %s: %s", path.c_str(), std::strerror(errno));
    close(fd);
}

}  // namespace easd::commands
