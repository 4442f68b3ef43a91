#pragma once

namespace docrunch::app {

// Runs the CLI; returns the process exit code (0 ok, 1 failed, 2 usage or
// configuration error, 3 a dependency such as PostgreSQL unavailable).
int RunCli(int argc, char** argv);

}  // namespace docrunch::app
