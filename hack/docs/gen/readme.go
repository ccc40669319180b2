package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ucdeploy/ucdeploy/internal/cli"
)

// readmeRegion is an output in README.md that `make docs` writes and `make verify-docs` checks:
//
//	<!-- make docs: ucdeploy plan -f FILE [ARGS] (first N lines) -->
//	```
//	...the first N lines of the command's output, then "..." when there are more...
//	```
//	<!-- end make docs -->
//
// The command runs as it is written (the planner on docsDay: the command carries --at).
var readmeRegion = regexp.MustCompile("(?s)<!-- make docs: ucdeploy (plan [^>]*?) \\(first (\\d+) lines\\) -->\n.*?<!-- end make docs -->")

// writeReadme rewrites the generated regions of the README at src into dst.
func writeReadme(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var failed error
	out := readmeRegion.ReplaceAllFunc(data, func(region []byte) []byte {
		m := readmeRegion.FindSubmatch(region)
		text, err := readmeOutput(string(m[1]), string(m[2]))
		if err != nil {
			failed = fmt.Errorf("%s: %q: %w", src, m[1], err)
			return region
		}
		return fmt.Appendf(nil, "<!-- make docs: ucdeploy %s (first %s lines) -->\n```\n%s```\n<!-- end make docs -->", m[1], m[2], text)
	})
	if failed != nil {
		return failed
	}
	if !bytes.Contains(data, []byte("<!-- make docs: ")) {
		return fmt.Errorf("%s has no generated region", src)
	}
	return writeFile(dst, out)
}

// readmeOutput runs `ucdeploy <command>` and returns its first lines lines, with "..." after them
// when the output is longer. The command must name --at docsDay, so that the README shows what
// the guides show.
func readmeOutput(command, lines string) (string, error) {
	n, err := strconv.Atoi(lines)
	if err != nil || n < 1 {
		return "", fmt.Errorf("line count %q", lines)
	}
	args := strings.Fields(command)
	if !strings.Contains(command, "--at "+docsDay) {
		return "", fmt.Errorf("the command must carry --at %s, the day the docs are planned for", docsDay)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Plan(args[1:], strings.NewReader(""), &stdout, &stderr); code != cli.ExitOK {
		return "", fmt.Errorf("exit %d: %s", code, stderr.String())
	}
	all := strings.SplitAfter(stdout.String(), "\n")
	if len(all) > 0 && all[len(all)-1] == "" {
		all = all[:len(all)-1]
	}
	if len(all) <= n {
		return strings.Join(all, ""), nil
	}
	return strings.Join(all[:n], "") + "...\n", nil
}
