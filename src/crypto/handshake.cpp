#include "crypto/handshake.hpp"

#include <botan/hash.h>
#include <botan/mem_ops.h>

#include <fmt/format.h>
#include <algorithm>
#include <string>
#include <vector>

#include "crypto/handshake_error.hpp"
#include "crypto/rsa_ops.hpp"
#include "util/error.hpp"
#include "util/text.hpp"
#include "wire/handshake_messages.hpp"
#include "wire/protocol_error.hpp"

namespace cryptochat::crypto {

namespace {

wire::Bytes sha256(wire::ByteView data) {
  auto hash = Botan::HashFunction::create_or_throw("SHA-256");
  hash->update(data.data(), data.size());
  const auto digest = hash->final();
  return {digest.begin(), digest.end()};
}

PublicKey peer_public_key(const wire::Bytes& spki, const char* who) {
  try {
    return PublicKey::from_spki(spki);
  } catch (const KeyError& e) {
    throw HandshakeError(fmt::format("the {}'s public key is not acceptable: {}", who, e.what()));
  }
}

// "1", "1, 3": a peer's list of versions or suites for a message.
std::string joined(const std::vector<std::uint16_t>& numbers) {
  std::string out;
  for (const auto n : numbers) {
    out += (out.empty() ? "" : ", ") + std::to_string(n);
  }
  return out;
}

// The peer's FINISHED is its proof that it decrypted our secret, i.e. holds its private key;
// a wrong key, a peer without it and tampering all look the same here.
[[noreturn]] void throw_confirmation_failed(const char* peer) {
  throw HandshakeError(
      fmt::format("handshake failed: key confirmation failed (the {} does not hold its key, or the "
                  "handshake was tampered with)",
                  peer));
}

}  // namespace

HandshakeBase::HandshakeBase(const PrivateKey& identity, std::string name,
                             Botan::RandomNumberGenerator& rng, const HandshakeFixedSecrets* fixed)
    : identity_(identity),
      name_(std::move(name)),
      rng_(rng),
      ephemeral_(fixed != nullptr ? EphemeralKey(fixed->ephemeral_private) : EphemeralKey(rng)),
      own_secret_(fixed != nullptr ? fixed->key_transport_secret : rng.random_vec(kSecretSize)) {
  if (name_.size() > wire::kMaxNameSize) {
    name_.resize(wire::kMaxNameSize);
  }
}

Established HandshakeBase::take_established() {
  if (!established_) {
    throw std::logic_error("handshake not finished");
  }
  Established out = std::move(*established_);
  established_.reset();
  return out;
}

void HandshakeBase::add_to_transcript(wire::ByteView frame_header, wire::ByteView body) {
  transcript_.insert(transcript_.end(), frame_header.begin(), frame_header.end());
  transcript_.insert(transcript_.end(), body.begin(), body.end());
}

wire::Bytes HandshakeBase::transcript_hash() const {
  return sha256(transcript_);
}

void HandshakeBase::send(wire::Bytes& out, wire::Bytes frame) {
  add_to_transcript(frame);
  out.insert(out.end(), frame.begin(), frame.end());
}

void HandshakeBase::derive_sas_now(const wire::SasNonce& nonce) {
  sas_ = derive_sas(transcript_, nonce);
}

void HandshakeBase::agree(const wire::Ephemeral& peer_ephemeral) {
  shared_ = ephemeral_.agree(peer_ephemeral, rng_);
}

void HandshakeBase::derive_keys(bool is_client) {
  const auto shared = std::move(shared_);
  shared_.clear();
  const auto& client_secret = is_client ? own_secret_ : peer_secret_;
  const auto& server_secret = is_client ? peer_secret_ : own_secret_;
  const SessionKeys keys = derive_session_keys(shared, client_secret, server_secret, th_);
  sealer_.emplace(is_client ? keys.client_to_server : keys.server_to_client);
  opener_.emplace(is_client ? keys.server_to_client : keys.client_to_server);
}

void HandshakeBase::send_finished(wire::Bytes& out) {
  wire::Bytes payload = th_;
  payload.push_back(static_cast<std::uint8_t>(name_.size()));
  payload.insert(payload.end(), name_.begin(), name_.end());
  sealer_->seal(ContentType::finished, payload, out);
}

void HandshakeBase::check_finished(const wire::FrameView& frame, const char* peer) {
  expect(frame, wire::FrameType::record);
  // One message for every way this can fail (including an OAEP secret that did not decrypt):
  // nothing tells an attacker which part was wrong.
  OpenedRecord record{};
  try {
    record = opener_->open(frame);
  } catch (const IntegrityError&) {
    throw_confirmation_failed(peer);
  }
  // The transcript hash is compared in constant time (Botan's), so that the time taken tells
  // nothing about how many of its bytes matched.
  if (record.type != ContentType::finished || record.data.size() < kHashSize + 1 ||
      th_.size() != kHashSize ||
      !Botan::constant_time_compare(record.data.data(), th_.data(), kHashSize)) {
    throw_confirmation_failed(peer);
  }
  const std::size_t name_len = record.data[kHashSize];
  if (record.data.size() != kHashSize + 1 + name_len || name_len > wire::kMaxNameSize) {
    throw_confirmation_failed(peer);
  }
  const auto name = record.data.subspan(kHashSize + 1);
  peer_name_.assign(name.begin(), name.end());
}

void HandshakeBase::throw_if_alert(const wire::FrameView& frame) {
  if (frame.type != wire::FrameType::alert) {
    return;
  }
  const wire::Alert alert = wire::parse_alert(frame.body);
  const std::string text = printable(alert.text);
  if (alert.code == wire::AlertCode::not_authorized) {
    throw AuthError(fmt::format("the server refused this key: {}", text));
  }
  throw HandshakeError(fmt::format("the peer ended the handshake: {}", text));
}

void HandshakeBase::expect(const wire::FrameView& frame, wire::FrameType type) {
  throw_if_alert(frame);
  if (frame.type != type) {
    throw wire::ProtocolError(fmt::format("protocol error: expected a {} frame, got a {} frame",
                                          wire::frame_type_name(type),
                                          wire::frame_type_name(frame.type)));
  }
}

// ---------------------------------------------------------------------------------------------

ClientHandshake::ClientHandshake(const PrivateKey& identity, std::string name,
                                 Botan::RandomNumberGenerator& rng,
                                 const HandshakeFixedSecrets* fixed)
    : HandshakeBase(identity, std::move(name), rng, fixed) {}

HandshakeEvent ClientHandshake::on_frame(const wire::FrameView& frame, wire::Bytes& out) {
  switch (state_) {
    case State::server_hello: {
      expect(frame, wire::FrameType::server_hello);
      // The versions and suites first: their layout is the same in every version (section 8),
      // the rest of the frame need not be version 3's.
      const auto offer = wire::parse_server_offer(frame.body);
      if (std::find(offer.versions.begin(), offer.versions.end(), wire::kVersion3) ==
          offer.versions.end()) {
        throw UnsupportedVersion(
            fmt::format("the server speaks protocol version {} and this cryptochat speaks 3: "
                        "upgrade one side",
                        joined(offer.versions)));
      }
      if (std::find(offer.suites.begin(), offer.suites.end(), wire::kSuiteAes256Gcm) ==
          offer.suites.end()) {
        throw UnsupportedVersion(fmt::format(
            "the server offers cipher suite {} and this cryptochat supports only suite 1",
            joined(offer.suites)));
      }
      const auto hello = wire::parse_server_hello(frame.body);
      peer_key_ = peer_public_key(hello.spki, "server");
      sas_commitment_ = hello.sas_commitment;
      agree(hello.ephemeral);
      add_to_transcript(frame.header, frame.body);
      state_ = State::trust;
      return HandshakeEvent::peer_identity;
    }
    case State::server_key: {
      expect(frame, wire::FrameType::server_key);
      const auto key = wire::parse_server_key(frame.body);
      // The nonce must be the one the server committed to before it saw our hello; otherwise
      // it could have picked it to choose the SAS.
      if (sas_commitment(key.sas_nonce) != sas_commitment_) {
        throw HandshakeError(
            "handshake failed: the server's SAS nonce does not match the commitment in its hello");
      }
      derive_sas_now(key.sas_nonce);
      peer_secret_ = oaep_decrypt_or_random(identity_, key.oaep_ciphertext, kSecretSize, rng_);
      add_to_transcript(frame.header, frame.body);
      th_ = transcript_hash();
      derive_keys(true);
      state_ = State::finished;
      return HandshakeEvent::none;
    }
    case State::finished: {
      // The server proved it holds its key: only it could decrypt the client secret.
      check_finished(frame, "server");
      send_finished(out);
      established_.emplace(
          Established{std::move(*sealer_), std::move(*opener_), *peer_key_, peer_name_, th_, sas_});
      state_ = State::done;
      return HandshakeEvent::established;
    }
    case State::trust:
    case State::done:
      break;
  }
  throw_if_alert(frame);
  throw wire::ProtocolError(fmt::format("protocol error: unexpected {} frame during the handshake",
                                        wire::frame_type_name(frame.type)));
}

void ClientHandshake::accept(wire::Bytes& out) {
  if (state_ != State::trust) {
    throw std::logic_error("ClientHandshake::accept out of order");
  }
  wire::ClientHello hello;
  hello.version = wire::kVersion3;
  hello.suite = wire::kSuiteAes256Gcm;
  hello.ephemeral = ephemeral_.public_value();
  hello.spki = identity_.spki_der();
  hello.oaep_ciphertext = oaep_encrypt(*peer_key_, own_secret_, rng_);
  send(out, wire::frame_of(wire::FrameType::client_hello, hello));
  state_ = State::server_key;
}

// ---------------------------------------------------------------------------------------------

ServerHandshake::ServerHandshake(const PrivateKey& identity, std::string name,
                                 Botan::RandomNumberGenerator& rng,
                                 const HandshakeFixedSecrets* fixed)
    : HandshakeBase(identity, std::move(name), rng, fixed) {
  if (fixed != nullptr && !fixed->sas_nonce.empty()) {
    if (fixed->sas_nonce.size() != sas_nonce_.size()) {
      throw std::logic_error("a fixed SAS nonce has 32 bytes");
    }
    std::copy(fixed->sas_nonce.begin(), fixed->sas_nonce.end(), sas_nonce_.begin());
  } else {
    rng.randomize(sas_nonce_.data(), sas_nonce_.size());
  }
}

void ServerHandshake::start(wire::Bytes& out) {
  wire::ServerHello hello;
  hello.versions = {wire::kVersion3};
  hello.suites = {wire::kSuiteAes256Gcm};
  hello.ephemeral = ephemeral_.public_value();
  hello.spki = identity_.spki_der();
  hello.sas_commitment = sas_commitment(sas_nonce_);
  send(out, wire::frame_of(wire::FrameType::server_hello, hello));
  state_ = State::client_hello;
}

HandshakeEvent ServerHandshake::on_frame(const wire::FrameView& frame, wire::Bytes& out) {
  static_cast<void>(out);
  switch (state_) {
    case State::client_hello: {
      expect(frame, wire::FrameType::client_hello);
      // The version and suite first: a client of another version may lay out the rest
      // differently (section 8), and is told the version in any case.
      const auto choice = wire::parse_client_choice(frame.body);
      if (choice.version != wire::kVersion3) {
        throw UnsupportedVersion(fmt::format(
            "the client speaks protocol version {} and this cryptochat speaks 3", choice.version));
      }
      if (choice.suite != wire::kSuiteAes256Gcm) {
        throw UnsupportedVersion(
            fmt::format("the client chose cipher suite {}, which was not offered (only suite 1 is)",
                        choice.suite));
      }
      auto hello = wire::parse_client_hello(frame.body);
      // Checked (exponent, size, Botan's checks) before anything is computed with it.
      peer_key_ = peer_public_key(hello.spki, "client");
      peer_ephemeral_ = hello.ephemeral;
      // Decrypted only in accept(), once the key is admitted: a refused client costs no
      // private-key operation.
      peer_transport_ = std::move(hello.oaep_ciphertext);
      add_to_transcript(frame.header, frame.body);
      state_ = State::authorize;
      return HandshakeEvent::peer_identity;
    }
    case State::finished: {
      // The client proved it holds its key: only it could decrypt the server secret.
      check_finished(frame, "client");
      established_.emplace(
          Established{std::move(*sealer_), std::move(*opener_), *peer_key_, peer_name_, th_, sas_});
      state_ = State::done;
      return HandshakeEvent::established;
    }
    case State::start:
    case State::authorize:
    case State::done:
      break;
  }
  throw_if_alert(frame);
  throw wire::ProtocolError(fmt::format("protocol error: unexpected {} frame during the handshake",
                                        wire::frame_type_name(frame.type)));
}

void ServerHandshake::accept(wire::Bytes& out) {
  if (state_ != State::authorize) {
    throw std::logic_error("ServerHandshake::accept out of order");
  }
  // A refused client cost nothing of this; a low-order value is refused before the RSA work.
  agree(peer_ephemeral_);
  peer_secret_ = oaep_decrypt_or_random(identity_, peer_transport_, kSecretSize, rng_);
  peer_transport_.clear();
  derive_sas_now(sas_nonce_);
  send(out,
       wire::frame_of(wire::FrameType::server_key,
                      wire::ServerKey{oaep_encrypt(*peer_key_, own_secret_, rng_), sas_nonce_}));
  th_ = transcript_hash();
  derive_keys(false);
  send_finished(out);
  state_ = State::finished;
}

}  // namespace cryptochat::crypto
