#include "parked_request.h"

#include <unistd.h>

#include "common/log.h"
#include "fcgi_records.h"

namespace easd::app {

ParkedRequest::ParkedRequest(std::unique_ptr<FCGX_Request> request, commands::ParkedCommand command,
                             ParkingServices& services)
    : fd_(request->ipcFd), request_id_(request->requestId), command_(std::move(command)), services_(services) {
    // Keep the descriptor, free libfcgi's streams and parameters: the answer is written by hand.
    request->ipcFd = -1;
    FCGX_Free(request.get(), 0);
}

ParkedRequest::ParkedRequest(int fd, int request_id, commands::ParkedCommand command, ParkingServices& services)
    : fd_(fd), request_id_(request_id), command_(std::move(command)), services_(services) {}

ParkedRequest::~ParkedRequest() {
    if (fd_ >= 0) close(fd_);
}

void ParkedRequest::park(int fd, int request_id, commands::ParkedCommand command, ParkingServices& services) {
    push::ParkedWait wait = command.wait;
    services.hub.park(std::make_unique<ParkedRequest>(fd, request_id, std::move(command), services), std::move(wait));
}

void ParkedRequest::abandon() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
}

void ParkedRequest::wake(push::WakeReason reason, const std::vector<long long>& folders) {
    // Called with the hub's lock held: hand everything to the pool. The connection moves into the
    // job; this object is destroyed by the hub right after.
    struct Job {
        int fd;
        int request_id;
        commands::ParkedCommand command;
        push::WakeReason reason;
        std::vector<long long> folders;
    };
    auto job = std::make_shared<Job>(Job{fd_, request_id_, std::move(command_), reason, folders});
    fd_ = -1;
    ParkingServices& services = services_;
    // Only a hanging Sync woken by changes is run again (the database, maybe parking again);
    // every other answer is ready at once and goes to the answer lane, so it never waits behind
    // such a run.
    const bool runs_again = job->command.kind == commands::ParkedCommand::Kind::Sync && reason == push::WakeReason::Changes;
    auto answer = [job, &services] {
        commands::HttpResponse response = services.handler.answer_parked(job->command, job->reason, job->folders);
        if (response.park) {
            // A woken hanging Sync found nothing to send after all (e.g. the change was filtered
            // out): it waits for the rest of its interval.
            park(job->fd, job->request_id, std::move(*response.park), services);
            return;
        }
        if (!write_fcgi_answer(job->fd, job->request_id, cgi_head(response), response.body))
            EASD_LOG_DEBUG("push: the answer of a parked request could not be written (peer gone)");
        close(job->fd);
    };
    if (runs_again) services.finisher.submit(std::move(answer));
    else services.finisher.submit_answer(std::move(answer));
}

}  // namespace easd::app
