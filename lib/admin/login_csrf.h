// Login CSRF: the sign-in form is posted before there is a session, so the session's CSRF token
// cannot protect it, and another site could sign a visitor's browser in to the attacker's account
// (whose console then shows what the visitor does). Browsers say where a POST comes from: the
// Origin header (every current browser sends it on a POST) and Sec-Fetch-Site. A sign-in POST that
// either names as another site is refused (console.cpp answers 403, and no session is made).
#pragma once

#include "admin/http.h"

namespace easd::admin {

// True when the request's Sec-Fetch-Site is anything but same-origin or none (typed by the user);
// without Sec-Fetch-Site (older browsers), when its Origin is not this server's own origin: https:// and the Host the request was sent to, or
// the origin the front end passes (Request::console_origin; nginx's fastcgi_params on Debian send
// HTTP_HOST without the port). "null", an opaque origin, is not this server's. A request with neither header (an old browser, curl) is
// not cross-site by this test.
bool cross_site_request(const Request& request);

}  // namespace easd::admin
