// An IMAP4rev1 client for the Dovecot mail store (RFC 3501 with CONDSTORE/QRESYNC, RFC 7162;
// SPECIAL-USE, RFC 6154; MOVE, RFC 6851; UIDPLUS, RFC 4315; LIST-STATUS, RFC 5819).
//
// One Connection is one authenticated IMAP session: it owns its socket (RAII), speaks one command
// at a time and is not thread-safe (the pool in imap_pool.h hands a connection to one thread at a
// time). Every failure is an ImapError: a connection that threw a Kind::Connection or
// Kind::Protocol error is dead and must be dropped; after Kind::No / Kind::Bad it can be used on.
//
// Mailbox names cross this interface as UTF-8; the client encodes and decodes IMAP's modified
// UTF-7 (RFC 3501 5.1.3) on the wire.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace easd::imap {

struct ImapError : std::runtime_error {
    enum class Kind {
        Connection,  // connect, TLS, read or write failed, timeout, server closed (BYE)
        Protocol,    // the server said something this client cannot parse
        No,          // tagged NO (e.g. wrong password, mailbox does not exist)
        Bad,         // tagged BAD
    };
    ImapError(Kind k, const std::string& what) : std::runtime_error(what), kind(k) {}
    Kind kind;
    // The response code of a tagged NO/BAD, upper-case, without brackets ("AUTHENTICATIONFAILED",
    // "NONEXISTENT", "ALREADYEXISTS", "TRYCREATE"); empty when none.
    std::string code;
};

// Where the IMAP server listens. `unix_path` set: a local socket (no TLS needed); else host:port,
// with `tls` (implicit TLS, port 993 style) or `starttls`. Certificates are verified against the
// system store, or `ca_file` when set; `tls_verify` false only for tests with self-signed certs.
struct Endpoint {
    std::string host = "127.0.0.1";
    int port = 143;
    std::string unix_path;
    bool tls = false;
    bool starttls = false;
    bool tls_verify = true;
    std::string ca_file;
    std::chrono::milliseconds timeout{10000};  // connect and each read/write
};

struct MailboxStatus {
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 0;
    std::uint32_t messages = 0;
    std::uint64_t highestmodseq = 0;  // 0: the mailbox has no mod-sequences (NOMODSEQ)
};

struct MailboxInfo {
    std::string name;       // UTF-8, full path with the server's delimiter
    char delimiter = '/';   // 0 when the server has no hierarchy
    // Name attributes, lower-case, with the backslash: "\\noselect", "\\haschildren", and the
    // SPECIAL-USE ones "\\sent", "\\trash", "\\drafts", "\\junk", "\\archive", "\\all", "\\flagged".
    std::vector<std::string> attributes;
    // The mailbox's STATUS, when the server has LIST-STATUS (RFC 5819) and the mailbox can be
    // selected: one LIST tells which mailboxes changed, instead of a STATUS or SELECT each.
    std::optional<MailboxStatus> status;
    bool has(std::string_view attribute) const;  // case-insensitive
};

// One message as FETCH returned it. Only what was asked for is filled.
struct FetchedMessage {
    std::uint32_t uid = 0;
    std::uint64_t modseq = 0;
    std::vector<std::string> flags;  // as the server spells them: "\\Seen", "$Forwarded", "work"
    std::int64_t internal_date = 0;  // seconds since the epoch (INTERNALDATE)
    std::uint64_t size = 0;          // RFC822.SIZE
    std::optional<std::string> body; // BODY[] (the whole message) or BODY[HEADER], as fetched
    std::optional<std::string> message_id_field;  // BODY[HEADER.FIELDS (MESSAGE-ID)]: that header line, as fetched
};

// What fetch() asks for.
struct FetchItems {
    bool flags = true;
    bool modseq = true;         // MODSEQ (needs CONDSTORE enabled or selected with it)
    bool internal_date = false;
    bool size = false;
    bool full_message = false;  // BODY.PEEK[]
    bool header_only = false;   // BODY.PEEK[HEADER]
    bool message_id = false;    // BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]: what recognises a message
};

// What SELECT/EXAMINE reported. With QRESYNC parameters, `vanished` holds the UIDs expunged since
// the known mod-sequence and `changed` the FETCH responses (UID, FLAGS, MODSEQ) of messages
// changed since then, as the server sent them during the SELECT.
struct SelectResult {
    std::uint32_t uidvalidity = 0;
    std::uint32_t uidnext = 0;
    std::uint32_t exists = 0;
    std::uint64_t highestmodseq = 0;  // 0: NOMODSEQ
    std::vector<std::uint32_t> vanished;
    std::vector<FetchedMessage> changed;
};

struct QresyncParams {
    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    std::string known_uids;  // optional UID set ("1:500,502"); empty: not sent
};

// A UID set in IMAP syntax from sorted or unsorted UIDs ("1:3,7,9:10").
std::string uid_set(std::vector<std::uint32_t> uids);
// Parses a UID set ("1:3,7"); "*" is not allowed. nullopt when malformed.
std::optional<std::vector<std::uint32_t>> parse_uid_set(std::string_view set);

// Modified UTF-7 (RFC 3501 5.1.3) <-> UTF-8. decode returns nullopt for malformed input.
std::string encode_mailbox_name(std::string_view utf8);
std::optional<std::string> decode_mailbox_name(std::string_view mutf7);

class Connection {
public:
    // Connects and reads the greeting (OK or PREAUTH); throws ImapError(Connection) on failure.
    static std::unique_ptr<Connection> open(const Endpoint& endpoint);
    ~Connection();  // sends LOGOUT when still usable (best effort), closes the socket
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // LOGIN (quoted or literal strings as needed). A wrong password throws ImapError(No).
    void login(const std::string& user, const std::string& password);
    // AUTHENTICATE PLAIN with an authorization identity: log in as `user` with the master user's
    // credentials (Dovecot master users; the other form is LOGIN "user*master").
    void login_as(const std::string& user, const std::string& master_user, const std::string& master_password);

    // The capabilities the server announced last (upper-case), re-read after login.
    const std::vector<std::string>& capabilities() const;
    bool has_capability(std::string_view name) const;  // case-insensitive

    // ENABLE (RFC 5161), e.g. "QRESYNC" (which implies CONDSTORE).
    void enable(const std::string& extension);

    // LIST "" "*" with RETURN (SPECIAL-USE) and RETURN (STATUS (...)) (LIST-STATUS) when the
    // server has them. The selected mailbox is unselected first when statuses come along.
    std::vector<MailboxInfo> list();
    // STATUS name (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ). The selected mailbox is unselected
    // first: its STATUS would be this session's view, not the mailbox's.
    MailboxStatus status(const std::string& mailbox);

    // SELECT (read-write) or EXAMINE (read-only), with (QRESYNC (...)) when given (QRESYNC must
    // be enabled), else (CONDSTORE) when the server has it. A missing mailbox throws
    // ImapError(No). The selected mailbox is remembered (selected()).
    SelectResult select(const std::string& mailbox, bool read_only,
                        const std::optional<QresyncParams>& qresync = std::nullopt);
    const std::string& selected() const;
    void unselect();  // UNSELECT, or CLOSE when the server lacks it (never expunges then: EXAMINE first)

    // UID FETCH set (items) [(CHANGEDSINCE modseq [VANISHED])] in the selected mailbox. With
    // VANISHED, expunged UIDs in the set are appended to *vanished when given.
    std::vector<FetchedMessage> fetch(const std::string& uid_set, const FetchItems& items,
                                      std::optional<std::uint64_t> changed_since = std::nullopt,
                                      std::vector<std::uint32_t>* vanished = nullptr);

    // UID STORE set +FLAGS.SILENT / -FLAGS.SILENT / FLAGS.SILENT (flags) [(UNCHANGEDSINCE m)].
    // Returns what the server reported per UID (UID, MODSEQ, FLAGS when it sent them; empty when
    // it did not).
    enum class FlagOp { Add, Remove, Replace };
    std::vector<FetchedMessage> store_flags(const std::string& uid_set, FlagOp op, const std::vector<std::string>& flags);

    // UID MOVE (RFC 6851), else UID COPY + UID STORE \Deleted + UID EXPUNGE. Returns the UIDs in
    // the destination (COPYUID, UIDPLUS) in the order of the source UIDs; empty when not reported.
    std::vector<std::uint32_t> move(const std::string& uid_set, const std::string& destination);
    // UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE of exactly these UIDs.
    void expunge(const std::string& uid_set);

    // APPEND with flags and internal date (0: none); returns the new UID (APPENDUID) or 0 when
    // the server did not say.
    std::uint32_t append(const std::string& mailbox, std::string_view message,
                         const std::vector<std::string>& flags, std::int64_t internal_date = 0);

    void create(const std::string& mailbox);
    void rename(const std::string& from, const std::string& to);
    void remove(const std::string& mailbox);  // DELETE
    void subscribe(const std::string& mailbox);

    void noop();
    // True when the connection can still be used (no Connection/Protocol error seen).
    bool usable() const;

private:
    Connection();
    // The STATUS items this server can answer ("MESSAGES UIDNEXT UIDVALIDITY [HIGHESTMODSEQ]").
    std::string status_items() const;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace easd::imap
