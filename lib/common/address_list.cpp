#include "common/address_list.h"

#include <arpa/inet.h>

#include <cstring>

#include "common/split_list.h"
#include "common/text.h"

namespace easd {

std::optional<std::array<unsigned char, 16>> AddressList::parse_address(std::string_view text, bool* v4) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN] = {};
    std::memcpy(buf, text.data(), text.size());
    std::array<unsigned char, 16> bytes{};
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        bytes[10] = bytes[11] = 0xff;
        std::memcpy(bytes.data() + 12, &a4, 4);
        *v4 = true;
        return bytes;
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        std::memcpy(bytes.data(), &a6, 16);
        *v4 = false;
        return bytes;
    }
    return std::nullopt;
}

std::optional<AddressList> AddressList::parse(std::string_view text, std::string* error) {
    AddressList list;
    auto fail = [&](std::string_view entry, const char* why) {
        if (error) *error = "'" + std::string(entry) + "' " + why;
        return std::nullopt;
    };
    for (std::string_view entry : split_list(text, ", \t")) {
        std::size_t slash = entry.find('/');
        bool v4 = false;
        auto bytes = parse_address(entry.substr(0, slash), &v4);
        if (!bytes) return fail(entry, "is no IPv4 or IPv6 address or network");
        Network n;
        n.bytes = *bytes;
        n.prefix = 128;
        if (slash != std::string_view::npos) {
            auto bits = parse_decimal(entry.substr(slash + 1));
            const int most = v4 ? 32 : 128;
            if (!bits || *bits < 0 || *bits > most) return fail(entry, v4 ? "needs a prefix of 0 to 32" : "needs a prefix of 0 to 128");
            n.prefix = static_cast<int>(*bits) + (v4 ? 96 : 0);
        }
        list.networks_.push_back(n);
    }
    return list;
}

AddressList AddressList::loopback() {
    std::string unused;
    return *parse("127.0.0.0/8, ::1", &unused);
}

bool AddressList::contains(std::string_view address) const {
    bool v4 = false;
    auto bytes = parse_address(address, &v4);
    if (!bytes) return false;
    for (const auto& n : networks_) {
        int bits = n.prefix;
        std::size_t i = 0;
        for (; bits >= 8; bits -= 8, ++i)
            if ((*bytes)[i] != n.bytes[i]) break;
        if (bits >= 8) continue;  // a whole byte differed
        if (bits == 0) return true;
        const unsigned char mask = static_cast<unsigned char>(0xff << (8 - bits));
        if (((*bytes)[i] & mask) == (n.bytes[i] & mask)) return true;
    }
    return false;
}

}  // namespace easd
