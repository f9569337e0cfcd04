package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

var versionCommand = &command{
	name:  "version",
	short: "print the version and the VCS revision of this build",
	long: `Example:

	dailyhook version
	dailyhook -version

It prints the module's version (a tag for "go install ...@vX.Y.Z", or
(devel) for a build from a checkout), the VCS revision and its time, and
the Go version. A build without VCS information (-buildvcs=false, or go
install module@version) says so instead of printing an empty revision.`,
	setup: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return func(_ context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: version takes no arguments", errUsage)
			}
			info, ok := debug.ReadBuildInfo()
			if !ok {
				return fmt.Errorf("this binary carries no build information")
			}
			writeVersion(e.stdout, info)
			return nil
		}
	},
}

// writeVersion writes what info says of the build.
func writeVersion(w io.Writer, info *debug.BuildInfo) {
	fmt.Fprintf(w, "dailyhook %s (%s)\n", info.Main.Version, info.Main.Path)
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	switch rev := settings["vcs.revision"]; {
	case rev == "":
		fmt.Fprintln(w, "revision: unknown, built without VCS information (-buildvcs=false, or go install module@version, whose version is above)")
	default:
		line := "revision: " + rev
		if t := settings["vcs.time"]; t != "" {
			line += " at " + t
		}
		if settings["vcs.modified"] == "true" {
			line += ", with uncommitted changes"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "go: %s\n", info.GoVersion)
}
