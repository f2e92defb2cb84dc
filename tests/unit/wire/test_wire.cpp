#include <doctest/doctest.h>

#include "wire/frame.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

using namespace cryptochat;
using wire::ProtocolError;

TEST_CASE("the decoder takes frames fed one byte at a time") {
  wire::Bytes stream;
  const wire::Bytes body1 = {1, 2, 3};
  wire::append_frame(stream, wire::FrameType::server_key, body1);
  wire::append_frame(stream, wire::FrameType::alert,
                     wire::encode(wire::Alert{wire::AlertCode::timeout, "late"}));
  wire::FrameDecoder dec;
  std::vector<wire::FrameType> got;
  for (const auto b : stream) {
    dec.feed(wire::ByteView(&b, 1));
    while (auto f = dec.next()) {
      got.push_back(f->type);
      if (f->type == wire::FrameType::server_key) {
        CHECK(wire::Bytes(f->body.begin(), f->body.end()) == body1);
      } else {
        const auto alert = wire::parse_alert(f->body);
        CHECK(alert.text == "late");
      }
    }
  }
  CHECK(got.size() == 2);
  CHECK(dec.buffered() == 0);
}

TEST_CASE("a length over the maximum is refused from the header alone") {
  wire::FrameDecoder dec;
  const wire::Bytes header = {0x17, 0xFF, 0xFF, 0xFF, 0xFF};
  dec.feed(header);
  CHECK_THROWS_WITH_AS(dec.next(), doctest::Contains("over the limit"), ProtocolError);
  wire::FrameDecoder dec2;
  const wire::Bytes handshake = {0x01, 0x00, 0x00, 0x40, 0x01};  // 16385 > 16384
  dec2.feed(handshake);
  CHECK_THROWS_AS(dec2.next(), ProtocolError);
}

TEST_CASE("bytes that are not frames say what answered") {
  wire::FrameDecoder dec;
  const std::string http = "HTTP/1.1 400 Bad Request\r\n";
  dec.feed(wire::ByteView(reinterpret_cast<const std::uint8_t*>(http.data()), http.size()));
  CHECK_THROWS_WITH_AS(dec.next(), doctest::Contains("not a cryptochat peer"), ProtocolError);
}

TEST_CASE("handshake messages round-trip and reject trailing or missing bytes") {
  wire::ClientHello hello;
  hello.version = 1;
  hello.suite = 1;
  hello.ephemeral.fill(9);
  hello.spki = {1, 2, 3};
  hello.oaep_ciphertext = {4, 5};
  auto body = wire::encode(hello);
  const auto back = wire::parse_client_hello(body);
  CHECK(back.spki == hello.spki);
  CHECK(back.oaep_ciphertext == hello.oaep_ciphertext);
  body.push_back(0);
  CHECK_THROWS_WITH_AS(wire::parse_client_hello(body), doctest::Contains("trailing"),
                       ProtocolError);
  body.resize(body.size() - 3);
  CHECK_THROWS_WITH_AS(wire::parse_client_hello(body), doctest::Contains("too short"),
                       ProtocolError);

  wire::ServerHello sh;
  sh.versions = {1};
  sh.suites = {1};
  auto sbody = wire::encode(sh);
  sbody[0] = 'X';
  CHECK_THROWS_WITH_AS(wire::parse_server_hello(sbody), doctest::Contains("magic"), ProtocolError);
}
