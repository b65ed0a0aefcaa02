// Package reliability holds Haven's reliability tests (`make reliability`):
// the real haven binary, run as a subprocess on loopback against a private
// PostgreSQL, killed with SIGKILL under a submission load, cut off from its
// database, stopped with SIGTERM while requests are in flight, and sent
// identical submissions and conflicting changes at once. Each test ends by
// checking that every submission that got its confirmation is stored
// exactly once with its audit row, and that `haven audit verify` passes.
//
// The tests are its _test.go files; this file only names the package. By
// default they run a short version (part of `make test`); with
// HAVEN_RELIABILITY=full they run at full size.
package reliability
