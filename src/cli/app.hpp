// The command line: parses arguments, runs one subcommand, and turns every failure into one
// line on stderr and an exit status. This is the only place that maps errors to exit codes.
#pragma once

namespace cryptochat::cli {

int run(int argc, char** argv);

}  // namespace cryptochat::cli
