// A list of addresses and networks (config lines like `metrics_allow = 127.0.0.1, ::1, 10.0.0.0/8`):
// whether a client's address is on it. IPv4 and IPv6; an IPv4 client that reaches easd as an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d) matches the IPv4 entries.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace easd {

class AddressList {
public:
    // Entries separated by commas or spaces: an address (a network of one) or address/prefix.
    // nullopt and a one-line reason in *error for an entry that is neither.
    static std::optional<AddressList> parse(std::string_view text, std::string* error);
    // 127.0.0.0/8 and ::1: this machine only.
    static AddressList loopback();

    // False for anything that is no address (an empty REMOTE_ADDR, a unix socket's peer).
    bool contains(std::string_view address) const;
    bool empty() const { return networks_.empty(); }

private:
    struct Network {
        std::array<unsigned char, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
        int prefix = 128;                       // over the 128 bits
    };
    static std::optional<std::array<unsigned char, 16>> parse_address(std::string_view text, bool* v4);
    std::vector<Network> networks_;
};

}  // namespace easd
