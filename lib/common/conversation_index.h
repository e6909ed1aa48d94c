// The EAS conversation index (MS-ASCON 2.2.2.4, email2:ConversationIndex): a 5-byte header
// derived from the time the conversation's first message was sent, then one 5-byte response
// level per reply or forward. Pure byte arithmetic, shared by content/conversation (parsing at
// delivery) and store/mail (a reply stored after its original extends the original's index).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace easd {

// FILETIME (100-nanosecond intervals since 1601-01-01 UTC) of seconds since the epoch.
inline uint64_t filetime_of(long long unix_seconds) {
    constexpr long long kEpochDelta = 11644473600LL;  // seconds from 1601 to 1970
    long long s = unix_seconds + kEpochDelta;
    return s <= 0 ? 0 : static_cast<uint64_t>(s) * 10000000ULL;
}

// The Conversation Index Header: the 40 most significant bits of the FILETIME, big-endian (the
// same 5 bytes that follow the reserved byte of a Thread-Index header, MS-OXOMSG 2.2.1.3).
inline std::string conversation_index_header(long long unix_seconds) {
    uint64_t ft = filetime_of(unix_seconds) >> 24;
    std::string out(5, '\0');
    for (int i = 4; i >= 0; --i, ft >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(ft & 0xff);
    return out;
}

// The FILETIME an index's header stands for (its low 24 bits zero); 0 when there is no header.
inline uint64_t conversation_index_time(std::string_view index) {
    if (index.size() < 5) return 0;
    uint64_t ft = 0;
    for (std::size_t i = 0; i < 5; ++i) ft = (ft << 8) | static_cast<unsigned char>(index[i]);
    return ft << 24;
}

// `index` with one response level appended for a message sent at `unix_seconds` (MS-OXOMSG
// 2.2.1.3): DC 0 and bits 48..18 of the time since the header while that fits (about 1.7
// years), else DC 1 and bits 53..23; then 8 bits that tell siblings of the same second apart.
inline std::string append_response_level(std::string index, long long unix_seconds, unsigned char random) {
    uint64_t base = conversation_index_time(index);
    uint64_t now = filetime_of(unix_seconds);
    uint64_t delta = now > base ? now - base : 0;
    uint32_t word = (delta >> 49) == 0 ? static_cast<uint32_t>((delta >> 18) & 0x7fffffffU)
                                        : 0x80000000U | static_cast<uint32_t>((delta >> 23) & 0x7fffffffU);
    for (int shift = 24; shift >= 0; shift -= 8) index.push_back(static_cast<char>((word >> shift) & 0xff));
    index.push_back(static_cast<char>(random));
    return index;
}

}  // namespace easd
