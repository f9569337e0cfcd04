// Package release holds the tests of scripts/release, the release of the
// repository's three modules; it has no code of its own.
package release
