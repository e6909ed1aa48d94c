// libFuzzer target for the MS-ASHTTP query parser (plain and base64 forms), base64 and HTTP Basic.
// Build: clang++ -std=c++17 -fsanitize=fuzzer,address,undefined -I lib tests/fuzz/query_fuzz.cpp
//        lib/protocol/request.cpp
#include "protocol/request.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace easd::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);

    std::string err;
    auto q = parse_query(in, &err);
    if (q) {
        // Whatever was accepted satisfies the documented invariants.
        if (q->cmd.empty() || q->device_id.empty() || q->device_id.size() > 32 || q->device_type.size() > 32)
            std::abort();
    } else if (err.empty() || err.find('\n') != std::string::npos) {
        std::abort();  // every rejection has a one-line reason
    }

    // The same bytes as a base64 query blob.
    (void)parse_query(base64_encode(in), &err);

    // base64 round trip.
    auto decoded = base64_decode(base64_encode(in));
    if (!decoded || *decoded != in) std::abort();
    if (auto d = base64_decode(in)) {
        // Re-encoding canonical output and decoding again is stable.
        auto again = base64_decode(base64_encode(*d));
        if (!again || *again != *d) std::abort();
    }

    (void)parse_basic_auth(in);
    (void)normalize_login(in);
    (void)parse_version(in);
    return 0;
}
