#include "wire/handshake_messages.hpp"

#include <algorithm>

#include "wire/protocol_error.hpp"

namespace cryptochat::wire {

namespace {

void check_magic(ByteReader& in) {
  const auto magic = in.raw(kMagic.size());
  if (!std::equal(magic.begin(), magic.end(), kMagic.begin())) {
    throw ProtocolError("not a cryptochat peer (bad magic in its hello)");
  }
}

std::vector<std::uint16_t> read_list(ByteReader& in, const char* what) {
  const std::size_t count = in.u8();
  if (count == 0 || count > kMaxListSize) {
    throw ProtocolError(std::string("malformed server hello: bad number of ") + what);
  }
  std::vector<std::uint16_t> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(in.u16());
  }
  return out;
}

void write_list(ByteWriter& w, const std::vector<std::uint16_t>& list) {
  w.u8(static_cast<std::uint8_t>(list.size()));
  for (const auto v : list) {
    w.u16(v);
  }
}

template <std::size_t N>
std::array<std::uint8_t, N> read_array(ByteReader& in) {
  std::array<std::uint8_t, N> a{};
  const auto raw = in.raw(N);
  std::copy(raw.begin(), raw.end(), a.begin());
  return a;
}

Bytes to_bytes(ByteView v) {
  return {v.begin(), v.end()};
}

}  // namespace

Bytes encode(const ServerHello& m) {
  Bytes out;
  ByteWriter w(out);
  w.raw(kMagic);
  write_list(w, m.versions);
  write_list(w, m.suites);
  w.raw(m.ephemeral);
  w.field16(m.spki);
  w.raw(m.sas_commitment);
  return out;
}

Bytes encode(const ClientHello& m) {
  Bytes out;
  ByteWriter w(out);
  w.raw(kMagic);
  w.u16(m.version);
  w.u16(m.suite);
  w.raw(m.ephemeral);
  w.field16(m.spki);
  w.field16(m.oaep_ciphertext);
  return out;
}

Bytes encode(const ServerKey& m) {
  Bytes out;
  ByteWriter w(out);
  w.field16(m.oaep_ciphertext);
  w.raw(m.sas_nonce);
  return out;
}

Bytes encode(const Alert& m) {
  Bytes out;
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(m.code));
  const std::string_view text = std::string_view(m.text).substr(0, kMaxAlertText);
  w.u16(static_cast<std::uint16_t>(text.size()));
  w.raw(text);
  return out;
}

ServerOffer parse_server_offer(ByteView body) {
  ByteReader in(body, "server hello");
  check_magic(in);
  ServerOffer m;
  m.versions = read_list(in, "versions");
  m.suites = read_list(in, "suites");
  return m;
}

ClientChoice parse_client_choice(ByteView body) {
  ByteReader in(body, "client hello");
  check_magic(in);
  ClientChoice m;
  m.version = in.u16();
  m.suite = in.u16();
  return m;
}

ServerHello parse_server_hello(ByteView body) {
  ByteReader in(body, "server hello");
  check_magic(in);
  ServerHello m;
  m.versions = read_list(in, "versions");
  m.suites = read_list(in, "suites");
  m.ephemeral = read_array<kEphemeralSize>(in);
  m.spki = to_bytes(in.field16(kMaxSpkiSize, "public key"));
  m.sas_commitment = read_array<kSasNonceSize>(in);
  in.expect_end();
  return m;
}

ClientHello parse_client_hello(ByteView body) {
  ByteReader in(body, "client hello");
  check_magic(in);
  ClientHello m;
  m.version = in.u16();
  m.suite = in.u16();
  m.ephemeral = read_array<kEphemeralSize>(in);
  m.spki = to_bytes(in.field16(kMaxSpkiSize, "public key"));
  m.oaep_ciphertext = to_bytes(in.field16(kMaxRsaBlockSize, "key transport"));
  in.expect_end();
  return m;
}

ServerKey parse_server_key(ByteView body) {
  ByteReader in(body, "server key");
  ServerKey m;
  m.oaep_ciphertext = to_bytes(in.field16(kMaxRsaBlockSize, "key transport"));
  m.sas_nonce = read_array<kSasNonceSize>(in);
  in.expect_end();
  return m;
}

Alert parse_alert(ByteView body) {
  ByteReader in(body, "alert");
  Alert m;
  m.code = static_cast<AlertCode>(in.u8());
  const auto text = in.field16(kMaxAlertText, "text");
  m.text.assign(text.begin(), text.end());
  in.expect_end();
  return m;
}

}  // namespace cryptochat::wire
