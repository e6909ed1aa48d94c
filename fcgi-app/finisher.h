// Writing answers and finishing FastCGI requests off the accept threads. FCGX_Finish_r lingers
// until the peer closes (up to 144 ms behind Apache), and a woken hanging Sync runs the Sync again,
// so the answers of parked requests are produced and written by a small pool of threads, never by
// the push hub's thread.
#pragma once

#include <fcgiapp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commands/request_handler.h"

namespace easd::app {

// "Status: 200 OK\r\nName: value\r\n...Content-Length: N\r\n\r\n": the CGI head of a response.
std::string cgi_head(const commands::HttpResponse& response);

// Writes the response and finishes the request through libfcgi.
void write_and_finish(FCGX_Request& request, const commands::HttpResponse& response);
// The same for a request whose input was read to its end, without libfcgi's lingering close.
void write_and_close(FCGX_Request& request, const commands::HttpResponse& response);

class Finisher {
public:
    explicit Finisher(int threads);
    ~Finisher();  // stop()
    Finisher(const Finisher&) = delete;
    Finisher& operator=(const Finisher&) = delete;

    // Runs the job on one of the pool's threads. Jobs may submit further jobs.
    void submit(std::function<void()> job);
    // Runs every job submitted so far and since (until the queue is empty), then joins the threads.
    void stop();

private:
    void run();
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace easd::app
