// Writing a FastCGI answer with plain write(2): FCGI_STDOUT records with the CGI head and body, an
// empty FCGI_STDOUT (end of stream), and FCGI_END_REQUEST. For parked requests, whose libfcgi
// state was freed while they waited (FastCGI 1.0, section 5.3 and 6.1).
#pragma once

#include <string_view>

namespace easd::app {

// Writes the whole answer of request `request_id` on `fd` (blocking; gives up after `timeout_ms`
// without progress). Returns false when the connection failed; the caller closes fd either way.
bool write_fcgi_answer(int fd, int request_id, std::string_view head, std::string_view body, int timeout_ms = 10000);

}  // namespace easd::app
