// Accept threads: each takes a FastCGI request off the listening socket, runs it through the
// RequestHandler and writes the answer. A fresh FCGX_Request per accept (libfcgi finishes whatever
// request object it is handed first).
#pragma once

#include <atomic>
#include <thread>
#include <vector>

#include "commands/request_handler.h"
#include "parked_request.h"

namespace easd::app {

class AcceptThreads {
public:
    // `max_body_memory`: request bodies held at once, in bytes (one body is always allowed).
    AcceptThreads(int listen_fd, commands::RequestHandler& handler, std::size_t max_body_bytes,
                  std::size_t max_body_memory, ParkingServices& parking);
    ~AcceptThreads();

    void start(int count);
    // Stop taking new requests; requests in progress finish. Call Listener::stop_accepting() too,
    // to wake threads blocked in accept().
    void request_stop() { stopping_ = true; }
    void join();

private:
    void run();
    bool reserve_body_memory(std::size_t bytes);

    int listen_fd_;
    commands::RequestHandler& handler_;
    std::size_t max_body_bytes_;
    std::size_t max_body_memory_;
    std::atomic<std::size_t> bodies_in_memory_{0};
    ParkingServices& parking_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
};

}  // namespace easd::app
