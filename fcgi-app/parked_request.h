// A request that waits in the push hub (Ping, hanging Sync), holding only its connection.
//
// When a request parks, libfcgi's buffers and parameters are freed (about 17 KB per request):
// what stays is the descriptor and the FastCGI request id, and for a hanging Sync the request
// itself, to run it again when its folders change. The answer is written as raw FastCGI records
// (fcgi_records.h) by the finisher pool.
#pragma once

#include <fcgiapp.h>

#include <memory>

#include "commands/request_handler.h"
#include "finisher.h"
#include "push/push_hub.h"

namespace easd::app {

// What a parked request needs to be answered later.
struct ParkingServices {
    Finisher& finisher;
    commands::RequestHandler& handler;
    push::PushHub& hub;
};

class ParkedRequest : public push::Responder {
public:
    // Takes the connection of `request` (whose body was read to its end) and frees the rest.
    ParkedRequest(std::unique_ptr<FCGX_Request> request, commands::ParkedCommand command, ParkingServices& services);
    // A connection already taken from libfcgi (a woken request that parks again).
    ParkedRequest(int fd, int request_id, commands::ParkedCommand command, ParkingServices& services);
    ~ParkedRequest() override;  // closes the connection if it was neither answered nor abandoned
    ParkedRequest(const ParkedRequest&) = delete;
    ParkedRequest& operator=(const ParkedRequest&) = delete;

    // Parks the request (again) with the hub.
    static void park(int fd, int request_id, commands::ParkedCommand command, ParkingServices& services);

    void wake(push::WakeReason reason, const std::vector<long long>& folders) override;
    int connection_fd() const override { return fd_; }
    void abandon() override;

private:
    int fd_ = -1;
    int request_id_ = 0;
    commands::ParkedCommand command_;
    ParkingServices& services_;
};

}  // namespace easd::app
