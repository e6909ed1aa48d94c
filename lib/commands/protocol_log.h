// The protocol log: for users or devices an administrator switched it on for (easctl log), every
// request and response as decoded XML, one file per device. Never credentials.
#pragma once

#include <string>

#include "wbxml/wbxml.h"

namespace easd::commands {

struct ProtocolLogEntry {
    std::string user;
    std::string device_id;
    std::string command;
    std::string method;
    std::string version;
    int http_status = 0;
    const wbxml::Node* request = nullptr;
    const wbxml::Node* response = nullptr;
    std::string note;  // e.g. why a request was refused
};

class ProtocolLog {
public:
    explicit ProtocolLog(std::string dir) : dir_(std::move(dir)) {}
    bool available() const { return !dir_.empty(); }
    // Appends the entry to <dir>/<user>/<device>.log. Failures are reported in the server log once
    // per call and otherwise ignored: logging must never fail a request.
    void write(const ProtocolLogEntry& entry) const;
    std::string path_for(const std::string& user, const std::string& device_id) const;

private:
    std::string dir_;
};

}  // namespace easd::commands
