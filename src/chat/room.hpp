// A chat room: the participants that finished their handshake, what each says written out on
// the server and relayed to all the others, join and leave announced (PROTOCOL.md, "Rooms").
//
// Backpressure: every participant has its own queue of sealed records. Above kBackedUp bytes it
// is backed up, and the room takes no new input (the operator's or anyone's) while a reading
// participant is backed up. One that drains less than kProgress bytes in kStallTime while backed
// up is stalled: it no longer holds the room, and once its queue passes kQueueLimit it is
// dropped. So memory stays bounded, a stopped reader delays the others by kStallTime at most,
// and a reader that keeps up loses nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/handshake_stage.hpp"
#include "chat/local_end.hpp"
#include "chat/verify.hpp"
#include "crypto/keys.hpp"
#include "net/event_loop.hpp"
#include "util/console.hpp"
#include "wire/bytes.hpp"
#include "wire/room_messages.hpp"

namespace cryptochat::chat {

inline constexpr std::size_t kBackedUp = std::size_t{256} * 1024;
inline constexpr std::size_t kQueueLimit = std::size_t{1} << 20U;
inline constexpr std::size_t kProgress = std::size_t{64} * 1024;
inline constexpr auto kStallTime = std::chrono::seconds(2);

struct RoomSettings {
  std::size_t max_clients = 1000;
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  // Who may be in the room (the allow list as it is now); empty: everyone. A newcomer whose
  // handshake passed an older list is refused when this says no (ABORT kNoLongerAuthorized).
  std::function<bool(const crypto::PublicKey&)> admits;
  // Every key admitted is on the server's list (--authorized-keys): each participant is
  // announced with ROOM_EVENT verified (PROTOCOL.md section 9).
  bool keys_listed = false;
  // A person reads the operator's console: each newcomer's SAS words are shown there (otherwise
  // only with -v; /verify has them either way).
  bool show_sas = false;
};

// The ABORT reason of a participant whose key the allow list no longer has.
inline constexpr const char* kNoLongerAuthorized = "no longer authorized";

class Room {
 public:
  // local: where participants' data is shown (the operator's terminal, or standard output).
  Room(RoomSettings settings, const LocalEnd& local, const Console& console, net::EventLoop& loop);
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;
  Room(Room&&) = delete;
  Room& operator=(Room&&) = delete;
  ~Room();

  [[nodiscard]] bool full() const { return members_.size() >= settings_.max_clients; }
  [[nodiscard]] bool empty() const { return members_.empty(); }
  [[nodiscard]] std::size_t size() const { return members_.size(); }

  // Someone whose handshake completed enters (or is told the room is full).
  void join(JoinedPeer peer);
  // The operator's own data, to everyone.
  void broadcast(wire::ByteView data);
  // True while new input may be taken: someone is there and no reader holds the room.
  [[nodiscard]] bool takes_input() const { return !members_.empty() && holding_ == 0; }
  // Who is in the room (announced and not leaving), for the operator's /who.
  [[nodiscard]] std::vector<wire::Participant> participants() const;
  // The same, each with the SAS of its session, for the operator's /verify.
  [[nodiscard]] std::vector<PeerSas> sas_of_participants() const;
  // Ends the session of every participant settings.admits no longer admits (ABORT
  // kNoLongerAuthorized, a `left` to the others); returns how many.
  std::size_t remove_unadmitted();
  // Whether every participant's key is on the server's list ("[verified]" in /who).
  [[nodiscard]] bool keys_listed() const { return settings_.keys_listed; }
  // Ends the chat for everyone (QUIT): they confirm, then leave.
  void close();
  // Ends the session in error for everyone (ABORT with reason), sending what the sockets take
  // now: the server is leaving at once.
  void abort(std::string_view reason);

 private:
  struct Member;
  class Events;
  void on_ready(Member& m, std::uint32_t events);
  void flush(Member& m);
  void relay(const Member& from, wire::ByteView data);
  void announce(const Member& who, wire::RoomEventKind kind);
  // Why a newcomer may not join (PROTOCOL.md section 9, "Names"): its name is not allowed, or
  // is the operator's or a present participant's (compared by name_key); nullopt: it may.
  [[nodiscard]] std::optional<std::string> refusal(const Member& newcomer) const;
  // Tells a newcomer who is already there (ROOM_EVENT present, PROTOCOL.md section 9).
  void tell_present(Member& newcomer);
  // Removes a participant. tell_peer: an ABORT goes out first, with told (why when empty).
  void drop(Member& m, const std::string& why, bool tell_peer, const std::string& told = {});
  void leave(Member& m);
  // A log's line for an announced participant that left (its unfinished line first).
  static void log_left(Member& m);
  void update_backlog(Member& m);
  // Stalls, idle timeouts and closes that took too long; then removes whoever is done and
  // updates what the loop watches for the others. Once per turn of the loop.
  std::optional<net::Clock::time_point> tick();

  RoomSettings settings_;
  const LocalEnd& local_;
  const Console& console_;
  net::EventLoop& loop_;
  std::map<std::uint64_t, std::unique_ptr<Member>> members_;
  std::uint64_t next_id_ = 1;
  std::size_t holding_ = 0;  // members backed up and not stalled
  bool closing_ = false;
  net::EventLoop::Watch ticker_;
};

}  // namespace cryptochat::chat
