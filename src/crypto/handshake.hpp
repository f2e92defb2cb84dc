// The handshake of PROTOCOL.md as two state machines that never touch a socket: frames go in
// (on_frame), bytes to send come out (appended to `out`). The I/O layer above drives them, so
// the same code serves a blocking one-to-one chat and a non-blocking event loop.
//
//   server                                client
//   SERVER_HELLO (commits to the SAS
//   nonce)        ------------------->    (trust decision on the server key)
//                 <-------------------    CLIENT_HELLO (with OAEP to the server)
//   (authorization of the client key)
//   SERVER_KEY (OAEP to the client, the
//   SAS nonce), record FINISHED ----->    (the nonce matches; the server holds its key)
//                 <-------------------    record FINISHED
//   (the client holds its key)
//   established                           established
//
// Each side proves it holds its private key by decrypting the peer's secret: the session keys
// need both secrets, and FINISHED shows the keys are right (PROTOCOL.md, section 1).
#pragma once

#include <botan/rng.h>
#include <botan/secmem.h>

#include <memory>
#include <optional>
#include <string>

#include "crypto/keys.hpp"
#include "crypto/record.hpp"
#include "crypto/sas.hpp"
#include "crypto/x25519.hpp"
#include "wire/bytes.hpp"
#include "wire/frame.hpp"

namespace cryptochat::crypto {

// Fixed values for the ephemeral key, the OAEP secret and (a server's) SAS nonce: test vectors
// only. An empty sas_nonce is drawn from the generator.
struct HandshakeFixedSecrets {
  Botan::secure_vector<std::uint8_t> ephemeral_private;
  Botan::secure_vector<std::uint8_t> key_transport_secret;
  Botan::secure_vector<std::uint8_t> sas_nonce;
};

// What a finished handshake hands to the session.
struct Established {
  RecordSealer sealer;
  RecordOpener opener;
  PublicKey peer_key;
  std::string peer_name;
  wire::Bytes transcript_hash;
  Sas sas{};  // the short authentication string both sides compute (crypto/sas.hpp)
};

enum class HandshakeEvent {
  none,           // nothing for the caller; keep feeding frames
  peer_identity,  // the peer's key is known: decide on it, then call accept()
  established,    // done: take_established()
};

// State shared by both sides.
class HandshakeBase {
 public:
  HandshakeBase(const PrivateKey& identity, std::string name, Botan::RandomNumberGenerator& rng,
                const HandshakeFixedSecrets* fixed);
  [[nodiscard]] const std::optional<PublicKey>& peer_key() const { return peer_key_; }
  [[nodiscard]] bool established() const { return established_.has_value(); }
  Established take_established();

 protected:
  void add_to_transcript(wire::ByteView frame_header, wire::ByteView body);
  void add_to_transcript(const wire::Bytes& frame) {
    transcript_.insert(transcript_.end(), frame.begin(), frame.end());
  }
  [[nodiscard]] wire::Bytes transcript_hash() const;
  // X25519 with the peer's value, before any RSA operation: a low-order value fails the
  // handshake there (the client at the SERVER_HELLO, the server once the key is admitted).
  void agree(const wire::Ephemeral& peer_ephemeral);
  void derive_keys(bool is_client);
  void send_finished(wire::Bytes& out);
  void check_finished(const wire::FrameView& frame, const char* peer);
  void send(wire::Bytes& out, wire::Bytes frame);  // appends and records in the transcript
  // The SAS from the two hellos (the transcript so far, SERVER_KEY not yet in it) and the nonce.
  void derive_sas_now(const wire::SasNonce& nonce);
  static void throw_if_alert(const wire::FrameView& frame);
  static void expect(const wire::FrameView& frame, wire::FrameType type);

  const PrivateKey& identity_;
  std::string name_;
  Botan::RandomNumberGenerator& rng_;
  EphemeralKey ephemeral_;
  Botan::secure_vector<std::uint8_t> own_secret_;   // sent under OAEP to the peer
  Botan::secure_vector<std::uint8_t> peer_secret_;  // received from the peer
  wire::Ephemeral peer_ephemeral_{};                // the client's, kept for accept()
  Botan::secure_vector<std::uint8_t> shared_;       // the X25519 result, agree() to derive_keys()
  std::optional<PublicKey> peer_key_;
  wire::Bytes transcript_;
  wire::Bytes th_;  // transcript hash over the three handshake frames
  Sas sas_{};
  std::optional<RecordSealer> sealer_;
  std::optional<RecordOpener> opener_;
  std::string peer_name_;
  std::optional<Established> established_;
};

class ClientHandshake : public HandshakeBase {
 public:
  ClientHandshake(const PrivateKey& identity, std::string name, Botan::RandomNumberGenerator& rng,
                  const HandshakeFixedSecrets* fixed = nullptr);
  HandshakeEvent on_frame(const wire::FrameView& frame, wire::Bytes& out);
  // After peer_identity: the server key is trusted; sends CLIENT_HELLO.
  void accept(wire::Bytes& out);

 private:
  enum class State { server_hello, trust, server_key, finished, done };
  State state_ = State::server_hello;
  wire::SasCommitment sas_commitment_{};  // the server's, checked against its nonce
};

class ServerHandshake : public HandshakeBase {
 public:
  ServerHandshake(const PrivateKey& identity, std::string name, Botan::RandomNumberGenerator& rng,
                  const HandshakeFixedSecrets* fixed = nullptr);
  // Appends SERVER_HELLO.
  void start(wire::Bytes& out);
  HandshakeEvent on_frame(const wire::FrameView& frame, wire::Bytes& out);
  // After peer_identity: the client key is allowed; decrypts the client's secret (the server's
  // only private-key operation, so never for a refused key), sends SERVER_KEY and the server's
  // FINISHED record.
  void accept(wire::Bytes& out);

 private:
  enum class State { start, client_hello, authorize, finished, done };
  State state_ = State::start;
  wire::Bytes peer_transport_;  // the client's OAEP ciphertext, decrypted once it is admitted
  // Drawn before SERVER_HELLO commits to it, revealed in SERVER_KEY: fixed before the client's
  // hello is seen, so the server cannot choose the SAS (PROTOCOL.md section 7).
  wire::SasNonce sas_nonce_{};
};

}  // namespace cryptochat::crypto
