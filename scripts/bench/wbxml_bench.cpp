// WBXML throughput: our decoder and encoder next to libwbxml2's on the same documents.
//
// libwbxml2 only exposes WBXML<->XML conversion, so the fair pairs are
//   decode: ours WBXML -> tree -> XML text   vs  wbxml_conv_wbxml2xml
//   encode: ours XML text -> tree -> WBXML   vs  wbxml_conv_xml2wbxml
// and, for what the server really does on each request, ours WBXML -> tree and tree -> WBXML.
// The corpus is tests/data/wbxml/*.xml plus a Sync response of 100 emails (the common large one).
//
// usage: wbxml_bench [CORPUS_DIR]   prints MB/s (of WBXML bytes) for each.
#include <dirent.h>
#include <wbxml/wbxml.h>
#include <wbxml/wbxml_conv.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "wbxml/wbxml.h"

namespace w = easd::wbxml;
namespace tag = easd::wbxml::tag;
using Clock = std::chrono::steady_clock;

namespace {

struct Doc {
    std::string name;
    std::string wbxml;
    std::string xml;      // our to_xml form
    std::string lib_xml;  // libwbxml's XML form (DOCTYPE, "AirSync:" namespaces)
};

w::Node big_sync_response() {
    w::Node root(tag::AirSync::Sync);
    auto& c = root.add(tag::AirSync::Collections).add(tag::AirSync::Collection);
    c.add(tag::AirSync::SyncKey, "0a1b2c3d4e5f-7");
    c.add(tag::AirSync::CollectionId, "1");
    c.add(tag::AirSync::Status, "1");
    auto& cmds = c.add(tag::AirSync::Commands);
    std::string body;
    for (int i = 0; i < 40; ++i) body += "This is line " + std::to_string(i) + " of a plain text message body.\n";
    for (int i = 0; i < 100; ++i) {
        auto& add = cmds.add(tag::AirSync::Add);
        add.add(tag::AirSync::ServerId, static_cast<long long>(1000 + i));
        auto& d = add.add(tag::AirSync::ApplicationData);
        d.add(tag::Email::To, "\"Demo User\" <demo@example.test>");
        d.add(tag::Email::From, "\"Jane Doe\" <jane@example.com>");
        d.add(tag::Email::Subject, "Quarterly report " + std::to_string(i));
        d.add(tag::Email::DateReceived, "2026-11-25T07:50:00.000Z");
        d.add(tag::Email::DisplayTo, "Demo User");
        d.add(tag::Email::ThreadTopic, "Quarterly report");
        d.add(tag::Email::Importance, "1");
        d.add(tag::Email::Read, "0");
        auto& b = d.add(tag::AirSyncBase::Body);
        b.add(tag::AirSyncBase::Type, "1");
        b.add(tag::AirSyncBase::EstimatedDataSize, static_cast<long long>(body.size()));
        b.add(tag::AirSyncBase::Data, body);
        d.add(tag::Email::MessageClass, "IPM.Note");
        d.add(tag::Email::InternetCPID, "65001");
    }
    return root;
}

// One conversion through libwbxml2's public converter API (create, configure, run, destroy), as
// an application using it would do per document.
std::string lib_xml_of(const std::string& wbxml) {
    WBXMLConvWBXML2XML* conv = nullptr;
    if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK) return {};
    wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
    wbxml_conv_wbxml2xml_set_language(conv, WBXML_LANG_ACTIVESYNC);
    wbxml_conv_wbxml2xml_set_charset(conv, WBXML_CHARSET_UTF_8);
    wbxml_conv_wbxml2xml_enable_preserve_whitespaces(conv);
    WB_UTINY* xml = nullptr;
    WB_ULONG len = 0;
    std::string copy = wbxml;
    WBXMLError rc = wbxml_conv_wbxml2xml_run(conv, reinterpret_cast<WB_UTINY*>(copy.data()),
                                             static_cast<WB_ULONG>(copy.size()), &xml, &len);
    wbxml_conv_wbxml2xml_destroy(conv);
    if (rc != WBXML_OK) return {};
    std::string out(reinterpret_cast<char*>(xml), len);
    std::free(xml);
    return out;
}

bool lib_encode(const std::string& xml_in) {
    WBXMLConvXML2WBXML* conv = nullptr;
    if (wbxml_conv_xml2wbxml_create(&conv) != WBXML_OK) return false;
    wbxml_conv_xml2wbxml_set_version(conv, WBXML_VERSION_13);
    wbxml_conv_xml2wbxml_disable_string_table(conv);
    wbxml_conv_xml2wbxml_disable_public_id(conv);
    wbxml_conv_xml2wbxml_enable_preserve_whitespaces(conv);
    WB_UTINY* out = nullptr;
    WB_ULONG len = 0;
    std::string xml = xml_in;
    WBXMLError rc = wbxml_conv_xml2wbxml_run(conv, reinterpret_cast<WB_UTINY*>(xml.data()),
                                             static_cast<WB_ULONG>(xml.size()), &out, &len);
    wbxml_conv_xml2wbxml_destroy(conv);
    if (rc == WBXML_OK) std::free(out);
    return rc == WBXML_OK;
}

template <typename F>
double mb_per_s(std::size_t bytes_per_round, F&& round) {
    // Warm up, then run for about half a second.
    round();
    std::size_t rounds = 0;
    auto start = Clock::now();
    double elapsed = 0;
    do {
        round();
        ++rounds;
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    } while (elapsed < 0.5);
    return static_cast<double>(bytes_per_round) * rounds / elapsed / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir = argc > 1 ? argv[1] : EASD_SOURCE_DIR "/tests/data/wbxml";
    std::vector<Doc> docs;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            std::string name = e->d_name;
            if (name.size() < 5 || name.substr(name.size() - 4) != ".xml") continue;
            std::ifstream in(dir + "/" + name);
            std::stringstream ss;
            ss << in.rdbuf();
            std::string err;
            auto tree = w::from_xml(ss.str(), &err);
            if (!tree) continue;
            docs.push_back({name, w::encode(*tree), w::to_xml(*tree), ""});
        }
        closedir(d);
    }
    w::Node big = big_sync_response();
    docs.push_back({"sync_response_100_emails", w::encode(big), w::to_xml(big), ""});

    std::size_t total = 0;
    std::vector<Doc*> usable;  // documents libwbxml can also handle
    for (auto& doc : docs) {
        doc.lib_xml = lib_xml_of(doc.wbxml);
        if (doc.lib_xml.empty() || doc.lib_xml.find("<unknown") != std::string::npos) continue;
        usable.push_back(&doc);
        total += doc.wbxml.size();
    }
    std::printf("corpus: %zu documents (%zu usable by libwbxml), %zu WBXML bytes per round\n", docs.size(),
                usable.size(), total);

    double ours_decode = mb_per_s(total, [&] {
        for (auto* d : usable) (void)w::decode(d->wbxml);
    });
    double ours_encode = mb_per_s(total, [&] {
        for (auto* d : usable) (void)w::encode(*w::decode(d->wbxml).root);
    }) ;
    std::vector<w::Node> trees;
    for (auto* d : usable) trees.push_back(*w::decode(d->wbxml).root);
    double ours_encode_only = mb_per_s(total, [&] {
        for (auto& t : trees) (void)w::encode(t);
    });
    double ours_to_xml = mb_per_s(total, [&] {
        for (auto* d : usable) (void)w::to_xml(*w::decode(d->wbxml).root);
    });
    double ours_from_xml = mb_per_s(total, [&] {
        for (auto* d : usable) (void)w::encode(*w::from_xml(d->xml));
    });
    double lib_decode = mb_per_s(total, [&] {
        for (auto* d : usable) (void)lib_xml_of(d->wbxml);
    });
    double lib_encode_rate = mb_per_s(total, [&] {
        for (auto* d : usable) (void)lib_encode(d->lib_xml);
    });

    std::printf("%-44s %10s\n", "", "MB/s");
    std::printf("%-44s %10.1f\n", "easd decode (WBXML -> tree)", ours_decode);
    std::printf("%-44s %10.1f\n", "easd encode (tree -> WBXML)", ours_encode_only);
    std::printf("%-44s %10.1f\n", "easd decode+encode round trip", ours_encode);
    std::printf("%-44s %10.1f\n", "easd WBXML -> XML text", ours_to_xml);
    std::printf("%-44s %10.1f\n", "easd XML text -> WBXML", ours_from_xml);
    std::printf("%-44s %10.1f\n", "libwbxml2 WBXML -> XML text", lib_decode);
    std::printf("%-44s %10.1f\n", "libwbxml2 XML text -> WBXML", lib_encode_rate);
    std::printf("decode speed-up vs libwbxml2: %.1fx (tree), %.1fx (to XML text)\n", ours_decode / lib_decode,
                ours_to_xml / lib_decode);
    std::printf("encode speed-up vs libwbxml2: %.1fx (tree), %.1fx (from XML text)\n", ours_encode_only / lib_encode_rate,
                ours_from_xml / lib_encode_rate);
    return 0;
}
