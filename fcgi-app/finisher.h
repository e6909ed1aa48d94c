// Writing answers and finishing FastCGI requests off the accept threads. FCGX_Finish_r lingers
// until the peer closes (up to 144 ms behind Apache), so answers of parked requests are written
// by a small pool of threads, never by the push hub's thread.
#pragma once

#include <fcgiapp.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "commands/request_handler.h"
#include "push/push_hub.h"

namespace easd::app {

// Writes the response (Status line, headers, Content-Length, body) and finishes the request.
void write_and_finish(FCGX_Request& request, const commands::HttpResponse& response);
// The same for a request whose input was read to its end (a parked one), without libfcgi's
// lingering close.
void write_and_close(FCGX_Request& request, const commands::HttpResponse& response);

class Finisher {
public:
    explicit Finisher(int threads);
    ~Finisher();  // drains the queue, then joins
    Finisher(const Finisher&) = delete;
    Finisher& operator=(const Finisher&) = delete;

    void finish(std::unique_ptr<FCGX_Request> request, commands::HttpResponse response);

private:
    void run();
    struct Job {
        std::unique_ptr<FCGX_Request> request;
        commands::HttpResponse response;
    };
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// A parked FastCGI request: the push hub's answer goes to the finisher pool.
class FcgiResponder : public push::Responder {
public:
    FcgiResponder(std::unique_ptr<FCGX_Request> request, Finisher& finisher)
        : request_(std::move(request)), finisher_(finisher) {}
    ~FcgiResponder() override;
    void respond(int http_status, std::string wbxml_body) override;
    int connection_fd() const override { return request_ ? request_->ipcFd : -1; }
    void abandon() override;

private:
    std::unique_ptr<FCGX_Request> request_;
    Finisher& finisher_;
};

}  // namespace easd::app
