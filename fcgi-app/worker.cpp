#include "worker.h"

#include <fcgiapp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <malloc.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "commands/request_kinds.h"
#include "protocol/request.h"
#include "common/log.h"

namespace easd::app {

namespace {

std::string param(FCGX_Request& r, const char* name) {
    const char* v = FCGX_GetParam(name, r.envp);
    return v ? v : "";
}

std::size_t content_length(FCGX_Request& r) {
    std::string length = param(r, "CONTENT_LENGTH");
    unsigned long long n = length.empty() ? 0 : std::strtoull(length.c_str(), nullptr, 10);
    return n > SIZE_MAX / 2 ? SIZE_MAX / 2 : static_cast<std::size_t>(n);
}

// Reads the whole body. Returns false when it exceeds the limit or the stream broke.
bool read_body(FCGX_Request& r, std::size_t limit, std::string& body, bool& too_large) {
    too_large = false;
    std::string length = param(r, "CONTENT_LENGTH");
    if (!length.empty()) {
        unsigned long long n = std::strtoull(length.c_str(), nullptr, 10);
        if (n > limit) {
            too_large = true;
            return false;
        }
        body.reserve(static_cast<std::size_t>(n));
    }
    char buf[65536];
    for (;;) {
        int got = FCGX_GetStr(buf, sizeof buf, r.in);
        if (got <= 0) break;
        body.append(buf, static_cast<std::size_t>(got));
        if (body.size() > limit) {
            too_large = true;
            return false;
        }
    }
    return FCGX_GetError(r.in) == 0;
}

}  // namespace

AcceptThreads::AcceptThreads(int listen_fd, commands::RequestHandler& handler, std::size_t max_body_bytes,
                             std::size_t max_body_memory, ParkingServices& parking,
                             commands::ServerMetrics& metrics)
    : listen_fd_(listen_fd),
      wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      handler_(handler),
      max_body_bytes_(max_body_bytes),
      max_body_memory_(max_body_memory),
      parking_(parking),
      requests_(metrics.requests()),
      live_(metrics.live()) {
    if (!wake_) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    // The acceptor polls, then accepts without blocking: when several processes share the socket
    // (spawn-fcgi's children, easd restarted under a socket unit) another may take the connection
    // between the two, and a blocked accept4 would not see a stop. O_NONBLOCK on the listening
    // socket changes only accept(); each accepted connection is blocking, as libfcgi wants it.
    const int flags = fcntl(listen_fd_, F_GETFL);
    if (flags < 0 || fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK) < 0)
        throw std::runtime_error(std::string("the listening socket: ") + std::strerror(errno));
}

bool AcceptThreads::reserve_body_memory(std::size_t bytes) {
    std::size_t held = bodies_in_memory_.load();
    do {
        // One body alone may always be read (up to max_body_bytes); beyond, the budget holds.
        if (held > 0 && held + bytes > max_body_memory_) return false;
    } while (!bodies_in_memory_.compare_exchange_weak(held, held + bytes));
    return true;
}

AcceptThreads::~AcceptThreads() {
    request_stop();
    join();
}

void AcceptThreads::start(int count) {
    thread_count_ = static_cast<std::size_t>(count);
    acceptor_ = std::thread([this] { accept_loop(); });
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { serve_loop(); });
}

void AcceptThreads::request_stop() {
    stopping_ = true;
    const std::uint64_t one = 1;
    // EAGAIN: the counter is full, so the acceptor is woken already.
    if (write(wake_.get(), &one, sizeof one) < 0 && errno != EAGAIN)
        EASD_LOG_ERROR("waking the acceptor: %s", std::strerror(errno));
    queue_ready_.notify_all();
}

void AcceptThreads::join() {
    if (acceptor_.joinable()) acceptor_.join();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

std::size_t AcceptThreads::queued() const {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    return queue_.size();
}

void AcceptThreads::accept_loop() {
    while (!stopping_) {
        // We accept ourselves and hand libfcgi the connection: its own accept checks the new
        // descriptor with select(), whose fd_set overflows beyond descriptor 1023 — and a server
        // holding thousands of parked requests has descriptors far beyond that.
        pollfd watched[2] = {{listen_fd_, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
        if (poll(watched, 2, -1) < 0) {
            if (errno == EINTR) continue;
            EASD_LOG_ERROR("poll on the listening socket: %s", std::strerror(errno));
            break;
        }
        if (stopping_ || (watched[1].revents & POLLIN)) break;
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (stopping_) break;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                // Out of descriptors: the oldest parked requests answer early (their phones ask
                // again) so that new requests are served rather than refused. Their descriptors
                // close once the answers are written.
                EASD_LOG_WARN("accept: %s", std::strerror(errno));
                if (parking_.hub.release_oldest(16) == 0)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                else
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
            } else if (errno == EINVAL || errno == EBADF) {
                EASD_LOG_ERROR("accept: %s: the listening socket is gone", std::strerror(errno));
                break;
            }
            continue;
        }
        {
            std::lock_guard<std::mutex> lock(queue_mutex_);
            queue_.push_back({fd, std::chrono::steady_clock::now()});
        }
        queue_ready_.notify_one();
    }
    {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        accepting_done_ = true;
    }
    queue_ready_.notify_all();
}

void AcceptThreads::serve_loop() {
    for (;;) {
        Accepted next{};
        std::size_t behind = 0;
        {
            std::unique_lock<std::mutex> lock(queue_mutex_);
            // Connections accepted before a stop are still served: their phones sent a request.
            queue_ready_.wait(lock, [this] { return !queue_.empty() || accepting_done_; });
            if (queue_.empty()) return;
            next = queue_.front();
            queue_.pop_front();
            behind = queue_.size();
        }
        const auto waited = std::chrono::steady_clock::now() - next.at;
        if (waited >= std::chrono::seconds(1)) note_queue_wait(waited, behind);
        working_.fetch_add(1, std::memory_order_relaxed);
        serve(next.fd, next.at);
        working_.fetch_sub(1, std::memory_order_relaxed);
    }
}

// A request that waits a second for a thread means the process is saturated: every request thread
// busy (with work, or waiting for one of the pooled database connections) while connections keep
// coming, as in a reconnect storm. Phones see it only as slowness (a Ping parked late answers its
// change late), so it is logged: the first wait at once, then at most a line every 10 s (a wait
// after the last line shows in the next one) with how many waited, the longest wait and the
// longest queue seen.
void AcceptThreads::note_queue_wait(std::chrono::steady_clock::duration waited, std::size_t queued) {
    std::lock_guard<std::mutex> lock(slow_wait_mutex_);
    ++slow_waits_;
    if (waited > longest_wait_) longest_wait_ = waited;
    if (queued > most_queued_) most_queued_ = queued;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_wait_report_ < std::chrono::seconds(10)) return;
    EASD_LOG_WARN("%lld requests waited 1 s or more for a request thread (longest %.1f s, up to %zu queued): "
                  "all %zu threads were busy",
                  slow_waits_, std::chrono::duration<double>(longest_wait_).count(), most_queued_, thread_count_);
    last_wait_report_ = now;
    slow_waits_ = 0;
    longest_wait_ = {};
    most_queued_ = 0;
}

void AcceptThreads::serve(int fd, std::chrono::steady_clock::time_point accepted) {
    // A new request object per connection: it outlives this call when the request is parked.
    auto req = std::make_unique<FCGX_Request>();
    if (FCGX_InitRequest(req.get(), listen_fd_, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        EASD_LOG_ERROR("FCGX_InitRequest failed");
        close(fd);
        return;
    }
    req->ipcFd = fd;
    req->keepConnection = 1;  // so FCGX_Accept_r's opening Finish does not close our descriptor
    if (FCGX_Accept_r(req.get()) < 0) return;
    commands::HttpRequest in;
    in.method = param(*req, "REQUEST_METHOD");
    in.query_string = param(*req, "QUERY_STRING");
    in.authorization = param(*req, "HTTP_AUTHORIZATION");
    in.protocol_version = param(*req, "HTTP_MS_ASPROTOCOLVERSION");
    in.policy_key = param(*req, "HTTP_X_MS_POLICYKEY");
    in.user_agent = param(*req, "HTTP_USER_AGENT");
    in.content_type = param(*req, "CONTENT_TYPE");
    in.accept_multipart = param(*req, "HTTP_MS_ASACCEPTMULTIPART");
    in.push_token = param(*req, "HTTP_X_EASD_PUSH_TOKEN");
    in.remote_addr = param(*req, "REMOTE_ADDR");
    in.script_name = param(*req, "SCRIPT_NAME");
    in.request_uri = param(*req, "REQUEST_URI");
    in.host = param(*req, "HTTP_HOST");
    in.server_port = param(*req, "SERVER_PORT");
    in.https = !param(*req, "HTTPS").empty();
    in.received = accepted;
    // Every answer is counted, from the connection's acceptance (time in the queue is latency the
    // phone sees) to its answer written, or to parking: the wait in the hub is counted apart.
    const std::size_t kind = commands::request_kind(in);
    auto count = [&](int status) {
        const auto worked = std::chrono::steady_clock::now() - accepted;
        requests_.record(kind, status, worked);
        const double seconds = std::chrono::duration<double>(worked).count();
        // Who asked, for easctl top: only for what the live view keeps (the slowest, the errors).
        if (!live_.wants(seconds, status)) return;
        metrics::FinishedRequest r;
        r.kind = std::string(commands::request_kinds()[kind]);
        r.status = status;
        r.login = in.verified_login;
        auto query = protocol::parse_query(in.query_string);
        r.device = query ? query->device_id : protocol::device_id_of_incomplete_query(in.query_string);
        r.seconds = seconds;
        r.at = std::chrono::system_clock::now();
        live_.finished(std::move(r));
    };

    if (console_) {
        std::string_view path = in.request_uri.empty() ? std::string_view(in.script_name) : std::string_view(in.request_uri);
        path = path.substr(0, path.find('?'));
        if (admin::is_console_path(path)) {
            serve_console(*req, in, count);
            return;
        }
    }

    // Sign-in, command and size are settled before a byte of the body is read: a stranger's
    // or an oversized body never takes this process's memory.
    const std::size_t length = content_length(*req);
    if (auto refused = handler_.screen(in, length)) {
        write_and_finish(*req, *refused);  // the unread body needs libfcgi's lingering close
        count(refused->status);
        return;
    }
    if (!reserve_body_memory(length)) {
        EASD_LOG_WARN("%zu bytes of request bodies in memory: a body of %zu bytes waits for later",
                      bodies_in_memory_.load(), length);
        commands::HttpResponse busy = commands::plain_response(503, "busy: try again shortly");
        busy.headers.emplace_back("Retry-After", "10");
        write_and_finish(*req, busy);
        count(busy.status);
        return;
    }
    bool too_large = false;
    commands::HttpResponse out;
    if (!read_body(*req, max_body_bytes_, in.body, too_large)) {
        out.status = too_large ? 413 : 400;
    } else {
        auto started = std::chrono::steady_clock::now();
        out = handler_.handle(in);
        EASD_LOG_DEBUG("%s %s -> %d in %.2f ms", in.method.c_str(), in.query_string.c_str(), out.status,
                       std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
    }
    const bool large = in.body.size() >= (8u << 20);
    std::string().swap(in.body);
    bodies_in_memory_ -= length;
    // After a large message the allocator keeps its peak unless told: give it back.
    if (large) malloc_trim(0);
    if (out.park) {
        // The request waits in the push hub, holding only its descriptor; this thread goes on.
        count(out.status);
        push::ParkedWait wait = out.park->wait;
        parking_.hub.park(std::make_unique<ParkedRequest>(std::move(req), std::move(*out.park), parking_),
                          std::move(wait));
        return;
    }
    // A body read to its end can be closed at once; one cut short (413) needs libfcgi's
    // lingering close, so the unread rest does not turn the close into a reset.
    if (too_large)
        write_and_finish(*req, out);
    else
        write_and_close(*req, out);
    count(out.status);
    // Likewise after a large answer (a message or attachment fetched): it and the copies made on
    // its way out are freed now, and without the trim the threads' arenas would keep them.
    if (out.body.size() >= (8u << 20)) {
        out = commands::HttpResponse();
        malloc_trim(0);
    }
}

void AcceptThreads::serve_console(FCGX_Request& req, const commands::HttpRequest& in,
                                  const std::function<void(int)>& count) {
    auto to_http = [](admin::Response&& r) {
        commands::HttpResponse out;
        out.status = r.status;
        out.headers = std::move(r.headers);
        out.body = std::move(r.body);
        return out;
    };
    admin::Request request;
    request.method = in.method;
    request.query = in.query_string;
    std::string_view path = in.request_uri.empty() ? std::string_view(in.script_name) : std::string_view(in.request_uri);
    request.path = std::string(path.substr(0, path.find('?')));
    request.cookie = param(req, "HTTP_COOKIE");
    request.content_type = in.content_type;
    request.remote_addr = in.remote_addr;
    request.https = in.https;
    request.origin = param(req, "HTTP_ORIGIN");
    request.host = param(req, "HTTP_HOST");
    request.sec_fetch_site = param(req, "HTTP_SEC_FETCH_SITE");
    request.console_origin = param(req, "EASD_CONSOLE_ORIGIN");
    // The console's forms are small: anything larger is refused before it is read.
    if (content_length(req) > admin::kMaxFormBytes) {
        commands::HttpResponse refused = commands::plain_response(413, "request body too large");
        write_and_finish(req, refused);
        count(refused.status);
        return;
    }
    bool too_large = false;
    if (!read_body(req, admin::kMaxFormBytes, request.body, too_large)) {
        commands::HttpResponse refused = commands::plain_response(too_large ? 413 : 400);
        write_and_finish(req, refused);
        count(refused.status);
        return;
    }
    commands::HttpResponse out = to_http(console_->handle(request));
    write_and_close(req, out);
    count(out.status);
}

}  // namespace easd::app
