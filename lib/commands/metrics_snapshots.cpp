#include "commands/metrics_snapshots.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>

#include "common/log.h"

namespace easd::commands {

namespace {

bool process_alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

// The pid of `<pid>.prom` (or of `.<pid>.prom.tmp` when `temp`); 0 for any other name.
pid_t pid_of(const char* name, bool* temp) {
    *temp = name[0] == '.';
    const char* digits = *temp ? name + 1 : name;
    char* end = nullptr;
    errno = 0;
    const long pid = std::strtol(digits, &end, 10);
    if (end == digits || errno != 0 || pid <= 0 || !std::isdigit(static_cast<unsigned char>(digits[0]))) return 0;
    if (std::strcmp(end, *temp ? ".prom.tmp" : ".prom") != 0) return 0;
    return static_cast<pid_t>(pid);
}

bool read_whole(int fd, std::string& out) {
    char buf[16384];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) return true;
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        out.append(buf, static_cast<std::size_t>(n));
    }
}

bool write_whole(int fd, const std::string& text) {
    const char* p = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

MetricsSnapshots::MetricsSnapshots(std::string dir)
    : dir_(std::move(dir)),
      pid_(getpid()),
      file_(dir_ + "/" + std::to_string(pid_) + ".prom"),
      temp_(dir_ + "/." + std::to_string(pid_) + ".prom.tmp") {
    // 0750: the figures count users' devices and requests; the processes of one host run as one user.
    if (mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST)
        EASD_LOG_WARN("metrics: cannot create %s (%s): each scrape shows this process alone", dir_.c_str(),
                      std::strerror(errno));
}

MetricsSnapshots::~MetricsSnapshots() { stop(); }

void MetricsSnapshots::start(std::function<std::string()> render, std::chrono::milliseconds interval) {
    if (thread_.joinable()) return;
    render_ = std::move(render);
    interval_ = interval;
    thread_ = std::thread([this] { loop(); });
}

void MetricsSnapshots::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    unlink(file_.c_str());
    unlink(temp_.c_str());
}

bool MetricsSnapshots::write(const std::string& text) {
    int fd = open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ENOENT) {  // the directory went (a cleaned /run): make it again
        mkdir(dir_.c_str(), 0750);
        fd = open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    }
    bool ok = fd >= 0;
    int error = errno;
    if (ok) {
        ok = write_whole(fd, text);
        error = errno;
        if (close(fd) != 0 && ok) {
            ok = false;
            error = errno;
        }
        if (ok && rename(temp_.c_str(), file_.c_str()) != 0) {
            ok = false;
            error = errno;
        }
        if (!ok) unlink(temp_.c_str());
    }
    if (!ok) {
        const auto now = std::chrono::steady_clock::now();
        if (last_failure_log_ == decltype(last_failure_log_){} || now - last_failure_log_ > std::chrono::minutes(1)) {
            EASD_LOG_WARN("metrics: cannot write %s (%s): other processes' scrapes miss this one", file_.c_str(),
                          std::strerror(error));
            last_failure_log_ = now;
        }
    }
    return ok;
}

std::vector<std::string> MetricsSnapshots::others() {
    std::vector<std::pair<pid_t, std::string>> found;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(dir_.c_str()), closedir);
    if (!dir) return {};
    const int dfd = dirfd(dir.get());
    const std::time_t now = std::time(nullptr);
    while (const dirent* entry = readdir(dir.get())) {
        bool temp = false;
        const pid_t pid = pid_of(entry->d_name, &temp);
        if (pid == 0 || pid == pid_) continue;
        struct stat st {};
        if (fstatat(dfd, entry->d_name, &st, 0) != 0) continue;  // renamed or removed meanwhile
        const bool fresh = now - st.st_mtime <= kFreshFor.count() && st.st_mtime <= now + kFreshFor.count();
        if (temp) {
            // A temp file outlives its writer only when that one died while writing.
            if (!fresh && !process_alive(pid)) unlinkat(dfd, entry->d_name, 0);
            continue;
        }
        if (!fresh || !process_alive(pid)) {
            unlinkat(dfd, entry->d_name, 0);
            continue;
        }
        const int fd = openat(dfd, entry->d_name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        std::string text;
        const bool ok = read_whole(fd, text);
        close(fd);
        if (ok) found.emplace_back(pid, std::move(text));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<std::string> texts;
    texts.reserve(found.size());
    for (auto& [pid, text] : found) texts.push_back(std::move(text));
    return texts;
}

void MetricsSnapshots::loop() {
    for (;;) {
        write(render_());
        std::unique_lock<std::mutex> lock(mutex_);
        if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
}

}  // namespace easd::commands
