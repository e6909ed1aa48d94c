// libFuzzer target for what an IMAP server sends easd: one response (lines and literals), mailbox
// names in modified UTF-7, UID sets. The server is trusted less than that: a broken or hostile one
// must get a ParseError or nullopt, never a crash or a runaway allocation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "imap/imap_client.h"
#include "imap/response_parser.h"

using namespace easd::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    try {
        Response r = parse_response(in);
        if (r.kind == Response::Kind::Tagged && r.status.empty()) std::abort();  // tagged answers have a status
    } catch (const ParseError&) {
    }
    // A name that decodes encodes back to something that decodes to the same name.
    if (auto name = decode_mailbox_name(in)) {
        auto again = decode_mailbox_name(encode_mailbox_name(*name));
        if (!again || *again != *name) {
            // Raw 8-bit bytes pass through decoding but are encoded as UTF-16: only valid UTF-8
            // must round-trip exactly.
            bool ascii = true;
            for (unsigned char c : *name) ascii = ascii && c < 0x80;
            if (ascii) std::abort();
        }
    }
    if (auto uids = parse_uid_set(in)) {
        auto back = parse_uid_set(uid_set(*uids));
        if (!back || back->size() > uids->size()) std::abort();
    }
    return 0;
}
