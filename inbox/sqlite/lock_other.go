//go:build !unix

package sqlite

import "os"

// lockFile takes no lock on this system: a second process with workers on
// one file is not detected here.
func lockFile(*os.File) error { return nil }

// hardLinks returns 1: the number of hard links is not known here.
func hardLinks(os.FileInfo) uint64 { return 1 }
