// Writing answers and finishing FastCGI requests off the accept threads. FCGX_Finish_r lingers
// until the peer closes (up to 144 ms behind Apache), and a woken hanging Sync runs the Sync again,
// so the answers of parked requests are produced and written by a small pool of threads, never by
// the push hub's threads. Two lanes: answers that are ready (a Ping's status, a hanging Sync's
// empty response: no database, a few microseconds each) have threads of their own, so that an
// expiring heartbeat is never queued behind Syncs run again, which read the database and may take
// long when it is busy or locked.
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
    // `threads` run work (submit), `answer_threads` write answers (submit_answer).
    explicit Finisher(int threads, int answer_threads = 2);
    ~Finisher();  // stop()
    Finisher(const Finisher&) = delete;
    Finisher& operator=(const Finisher&) = delete;

    // Runs the job on one of the work threads. Jobs may submit further jobs (of either lane).
    void submit(std::function<void()> job);
    // Runs a job that only writes an answer (never blocks on the database, submits nothing) on
    // one of the answer threads.
    void submit_answer(std::function<void()> job);
    // Runs every job submitted so far and since (until the queues are empty), then joins the
    // threads: the work lane first, since its jobs may hand answers to the other.
    void stop();

private:
    struct Lane {
        std::mutex mutex;
        std::condition_variable ready;
        std::deque<std::function<void()>> jobs;
        bool stopping = false;
        std::vector<std::thread> threads;
    };
    static void run(Lane& lane);
    static void submit_to(Lane& lane, std::function<void()> job);
    static void stop(Lane& lane);
    Lane work_;
    Lane answers_;
};

}  // namespace easd::app
