// The question `connect` asks at a terminal when a server's key is new, as ssh does: the key's
// fingerprint is shown and the user answers yes, no or pastes the fingerprint they were given
// by another channel. Scripts are never asked (person_at_terminal).
#pragma once

#include <string>
#include <vector>

namespace cryptochat::cli {

// True when a person is at this process's terminal: standard input or standard error is the
// controlling terminal (what /dev/tty opens), as when connect is typed at a shell, with its
// input piped or not. A process whose standard input and standard error are both redirected
// (a script that logs, a test, a job under cron) is never asked, even with a controlling
// terminal; nor is one whose terminal is not its controlling one.
bool person_at_terminal();

enum class FirstContactAnswer {
  yes,                  // "yes" (in any case)
  fingerprint_matches,  // the server's fingerprint, pasted
  no,                   // "no" (in any case)
  fingerprint_differs,  // a "SHA256:..." that is not the server's fingerprint
  no_answer,            // end of input at the terminal, or too many answers that were none
  interrupted,          // a stop signal (SIGINT, SIGTERM, SIGHUP) while asking
};

[[nodiscard]] inline bool accepted(FirstContactAnswer answer) {
  return answer == FirstContactAnswer::yes || answer == FirstContactAnswer::fingerprint_matches;
}

// Why a refused answer refused the key, in a few words ("you answered no", ...).
std::string describe_refusal(FirstContactAnswer answer);

// What the user is shown about a server met for the first time, one line each: its address
// (and the one connected to, when it is another), its key's fingerprint. More lines may be
// added (the words of a short authentication string, say) by the caller.
std::vector<std::string> first_contact_lines(const std::string& address,
                                             const std::string& connected_to,
                                             const std::string& fingerprint);

// Shows lines on the controlling terminal (/dev/tty), then asks "Are you sure you want to
// continue connecting (yes/no/[fingerprint])? " and reads the answer there, asking again (at
// most a few times) for anything that is not yes, no or a fingerprint. stop_fd (StopSignals)
// readable ends the wait as interrupted. Throws IoError when the terminal cannot be opened or
// written.
FirstContactAnswer ask_first_contact(const std::vector<std::string>& lines,
                                     const std::string& fingerprint, int stop_fd);

}  // namespace cryptochat::cli
