#include "finisher.h"

#include <unistd.h>

#include "common/log.h"

namespace easd::app {

namespace {
const char* reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 405: return "Method Not Allowed";
        case 413: return "Payload Too Large";
        case 449: return "Retry With";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        default: return "Status";
    }
}

void write_response(FCGX_Request& r, const commands::HttpResponse& resp) {
    std::string head = cgi_head(resp);
    FCGX_PutStr(head.data(), static_cast<int>(head.size()), r.out);
    if (!resp.body.empty()) FCGX_PutStr(resp.body.data(), static_cast<int>(resp.body.size()), r.out);
}
}  // namespace

std::string cgi_head(const commands::HttpResponse& resp) {
    std::string head = "Status: " + std::to_string(resp.status) + " " + reason_phrase(resp.status) + "\r\n";
    for (const auto& [name, value] : resp.headers) head += name + ": " + value + "\r\n";
    head += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n\r\n";
    return head;
}

void write_and_finish(FCGX_Request& r, const commands::HttpResponse& resp) {
    write_response(r, resp);
    FCGX_Finish_r(&r);
}

void write_and_close(FCGX_Request& r, const commands::HttpResponse& resp) {
    write_response(r, resp);
    // End the FastCGI request (flush, end-of-stream and END_REQUEST records), then close the
    // connection ourselves: libfcgi's own close lingers up to seconds for the peer to close first,
    // which would serialise a burst of answers behind each other. The request's input was read to
    // its end, so nothing unread can turn the close into a reset.
    FCGX_FClose(r.err);
    FCGX_FClose(r.out);
    int fd = r.ipcFd;
    r.ipcFd = -1;
    FCGX_Free(&r, 0);
    if (fd >= 0) close(fd);
}

Finisher::Finisher(int threads, int answer_threads) {
    for (int i = 0; i < threads; ++i) work_.threads.emplace_back([this] { run(work_); });
    for (int i = 0; i < answer_threads; ++i) answers_.threads.emplace_back([this] { run(answers_); });
}

Finisher::~Finisher() { stop(); }

void Finisher::stop() {
    stop(work_);
    stop(answers_);
}

void Finisher::stop(Lane& lane) {
    {
        std::lock_guard<std::mutex> lock(lane.mutex);
        lane.stopping = true;
    }
    lane.ready.notify_all();
    for (auto& t : lane.threads)
        if (t.joinable()) t.join();
    lane.threads.clear();
}

void Finisher::submit(std::function<void()> job) { submit_to(work_, std::move(job)); }

void Finisher::submit_answer(std::function<void()> job) { submit_to(answers_, std::move(job)); }

void Finisher::submit_to(Lane& lane, std::function<void()> job) {
    {
        std::lock_guard<std::mutex> lock(lane.mutex);
        lane.jobs.push_back(std::move(job));
    }
    lane.ready.notify_one();
}

void Finisher::run(Lane& lane) {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock<std::mutex> lock(lane.mutex);
            lane.ready.wait(lock, [&lane] { return lane.stopping || !lane.jobs.empty(); });
            // Stopping with an empty queue: a job that submits another is still running on this
            // very pool, so the new one cannot be left behind by every thread leaving at once.
            if (lane.jobs.empty()) return;
            job = std::move(lane.jobs.front());
            lane.jobs.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            EASD_LOG_ERROR("answering a parked request failed: %s", e.what());
        }
    }
}

}  // namespace easd::app
