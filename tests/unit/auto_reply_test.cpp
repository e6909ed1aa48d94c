// Automatic replies (RFC 3834): who may be answered, and the reply as a message that parses back.
#include <catch2/catch.hpp>

#include "content/auto_reply.h"
#include "content/message.h"

using namespace easd::content;

namespace {

const std::string kMe = "me@example.com";

std::string message(const std::string& headers, const std::string& to = "Me <Me@Example.com>") {
    return headers + "From: Ann <ann@far.example>\r\nTo: " + to +
           "\r\nSubject: Question\r\nMessage-ID: <q1@far.example>\r\n\r\nHello\r\n";
}

std::optional<std::string> answer(const std::string& raw, const std::optional<std::string>& envelope = std::nullopt,
                                  std::string* why = nullptr) {
    auto parsed = parse_message(raw);
    REQUIRE(parsed);
    return auto_reply_address(raw, *parsed, envelope, kMe, why);
}

}  // namespace

TEST_CASE("auto reply: the envelope sender, else Return-Path, else From", "[auto_reply]") {
    CHECK(answer(message("")) == std::optional<std::string>("ann@far.example"));
    CHECK(answer(message("Return-Path: <Bounces+ann@mailer.example>\r\n")) ==
          std::optional<std::string>("bounces+ann@mailer.example"));
    CHECK(answer(message("Return-Path: <x@y.example>\r\n"), std::string("Env@Sender.example")) ==
          std::optional<std::string>("env@sender.example"));
    std::string why;
    CHECK_FALSE(answer(message(""), std::string(""), &why));  // the null sender: a bounce
    CHECK(why.find("no sender") != std::string::npos);
    CHECK_FALSE(answer(message("Return-Path: <>\r\n")));
}

TEST_CASE("auto reply: never to lists, bulk, robots, automatic mail, Bcc copies or oneself", "[auto_reply]") {
    std::string why;
    for (const char* h : {"Auto-Submitted: auto-generated\r\n", "Auto-Submitted: auto-replied; owner-email=x@y\r\n",
                          "List-Id: Friends <friends.lists.example>\r\n", "List-Unsubscribe: <mailto:u@l.example>\r\n",
                          "Precedence: Bulk\r\n", "Precedence: junk\r\n", "X-Auto-Response-Suppress: DR, OOF\r\n",
                          "X-Auto-Response-Suppress: All\r\n"}) {
        INFO(h);
        why.clear();  // each refusal must give its own reason
        CHECK_FALSE(answer(message(h), std::nullopt, &why));
        CHECK_FALSE(why.empty());
    }
    // What does not forbid it.
    CHECK(answer(message("Auto-Submitted: no\r\nX-Auto-Response-Suppress: DR, RN\r\nPrecedence: first-class\r\n")));
    for (const char* robot : {"MAILER-DAEMON@mx.example", "noreply@shop.example", "owner-list@l.example",
                              "list-request@l.example", "postmaster@far.example"}) {
        INFO(robot);
        CHECK_FALSE(answer(message(""), std::string(robot)));
    }
    CHECK_FALSE(answer(message(""), kMe));
    CHECK_FALSE(answer(message("", "other@far.example"), std::nullopt, &why));  // not named: a Bcc or a list
    CHECK(why.find("To or Cc") != std::string::npos);
    CHECK(answer(message("Cc: \"Me, Really\" <me@example.com>\r\n", "other@far.example")));
}

TEST_CASE("auto reply: header fields are read unfolded, case ignored, up to the body only", "[auto_reply]") {
    std::string raw = "Subject: a\r\nlist-ID: first\r\n  folded\r\nX: 1\r\n\r\nList-Id: in the body\r\n";
    CHECK(header_values(raw, "List-Id") == std::vector<std::string>{"first folded"});
    CHECK(header_section(raw) == "Subject: a\r\nlist-ID: first\r\n  folded\r\nX: 1\r\n\r\n");
    CHECK(header_section("Subject: only headers") == "Subject: only headers");
    CHECK(addresses_in("\"Doe, Jane\" <Jane@Example.com>, bob@example.com, team: c@x.example;") ==
          std::vector<std::string>{"jane@example.com", "bob@example.com", "c@x.example"});
}

TEST_CASE("auto reply: the reply threads to the original and says it was automatic", "[auto_reply]") {
    std::string raw = "From: Ann <ann@far.example>\r\nTo: me@example.com\r\nSubject: Grüße\r\n"
                      "Message-ID: <q1@far.example>\r\nReferences: <q0@far.example>\r\n\r\nHello\r\n";
    auto original = parse_message(raw);
    REQUIRE(original);
    std::string reply = build_auto_reply(raw, *original, "Me <me@example.com>", "ann@far.example",
                                         "Away until Monday.", false, 1796032800);
    auto parsed = parse_message(reply);
    REQUIRE(parsed);
    CHECK(parsed->subject == "Automatic reply: Grüße");
    CHECK(parsed->to == "ann@far.example");
    CHECK(parsed->from == "Me <me@example.com>");
    CHECK(parsed->body_plain.find("Away until Monday.") != std::string::npos);
    CHECK(header_values(reply, "Auto-Submitted") == std::vector<std::string>{"auto-replied"});
    CHECK(header_values(reply, "In-Reply-To") == std::vector<std::string>{"<q1@far.example>"});
    CHECK(header_values(reply, "References") == std::vector<std::string>{"<q0@far.example> <q1@far.example>"});
    CHECK(header_values(reply, "X-Auto-Response-Suppress") == std::vector<std::string>{"All"});

    std::string html = build_auto_reply(raw, *original, "me@example.com", "ann@far.example", "<p>Away</p>", true, 0);
    auto parsed_html = parse_message(html);
    REQUIRE(parsed_html);
    CHECK(parsed_html->body_html.find("<p>Away</p>") != std::string::npos);
}
