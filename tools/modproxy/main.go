// Command modproxy writes a Go module proxy, in the file layout that
// GOPROXY=file://DIR serves, holding this repository's three modules as
// they are at a git revision: for each, @v/list, and the .info, .mod and
// .zip of each version asked for. The zips are made from the files git
// tracks at the revision, as a public proxy makes them from a tag, so that
// their hashes are those a release will have.
//
//	go run ./tools/modproxy -out DIR [-rev HEAD] [-version v0.1.0[,v0.1.1-test.1]] [-required]
//
// -required adds, for each module, the versions at which the others'
// go.mod files require it. It serves the tidy gate of .ci/run, the
// install-path test, and scripts/release.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/dailywebhooks/events/tools/modproxy/proxy"
)

func main() {
	out := flag.String("out", "", "the proxy's folder (required)")
	rev := flag.String("rev", "HEAD", "the git revision to take the modules from")
	versions := flag.String("version", "", "comma-separated versions to serve every module at")
	required := flag.Bool("required", false, "also serve each module at the versions the others require")
	repo := flag.String("repo", ".", "the repository's root")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var vs []string
	for _, v := range strings.Split(*versions, ",") {
		if v = strings.TrimSpace(v); v != "" {
			vs = append(vs, v)
		}
	}
	served, err := proxy.Build(*repo, *rev, *out, vs, *required)
	if err != nil {
		fmt.Fprintln(os.Stderr, "modproxy:", err)
		os.Exit(1)
	}
	for _, s := range served {
		fmt.Println(s)
	}
}
