package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// command is one command's flag set with its usage line, parsed the way kubectl parses flags:
// long flags with --, one-letter shorthands (-o json, -ojson, -o=json), --help on stdout.
type command struct {
	*pflag.FlagSet
	usage string // the usage line, e.g. "ucdeploy plan -f FILE [flags]"
	about string // what the command does, one paragraph
}

// Program is how the usage lines and messages name the program: "ucdeploy", or "kubectl ucd"
// when the binary runs as the kubectl plugin (main sets it before running a command).
var Program = "ucdeploy"

// newCommand returns the flag set of the command sub ("plan") of Program; argsUsage is the rest
// of its usage line ("-f FILE [flags]").
func newCommand(sub, argsUsage, about string) *command {
	name := Program + " " + sub
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard) // parse reports errors itself
	return &command{FlagSet: fs, usage: name + " " + argsUsage, about: about}
}

// printUsage writes the usage line, what the command does, and the flags to w.
func (c *command) printUsage(w io.Writer) {
	fmt.Fprintf(w, "%s\n\nUsage:\n  %s\n\nFlags:\n%s", c.about, c.usage, c.FlagUsages())
}

// parse parses args. When the command should stop there it returns stop and the exit status:
// --help prints the usage on stdout (exit 0, as kubectl does), a flag error names the flag on
// stderr and points at --help (exit 2).
func (c *command) parse(args []string, stdout, stderr io.Writer) (code int, stop bool) {
	err := c.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		c.printUsage(stdout)
		return ExitOK, true
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\nSee '%s --help' for usage.\n", c.Name(), err, c.Name())
		return ExitInvalidArgs, true
	}
	return ExitOK, false
}

// fail prints a usage mistake the way parse does and returns ExitInvalidArgs.
func (c *command) fail(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\nSee '%s --help' for usage.\n", c.Name(), fmt.Sprintf(format, args...), c.Name())
	return ExitInvalidArgs
}

// manifestExtensions are the file name endings a -f directory is read for, as kubectl's.
var manifestExtensions = []string{".yaml", ".yml", ".json"}

// expandFilenames resolves -f values as kubectl does: a file, "-" for stdin, or a directory,
// which stands for its .yaml, .yml and .json files in name order (not recursively).
func expandFilenames(values []string) ([]string, error) {
	var files []string
	for _, v := range values {
		if v == "-" {
			files = append(files, v)
			continue
		}
		info, err := os.Stat(v)
		if err != nil {
			return nil, fmt.Errorf("reading input: %w", err)
		}
		if !info.IsDir() {
			files = append(files, v)
			continue
		}
		entries, err := os.ReadDir(v)
		if err != nil {
			return nil, fmt.Errorf("reading directory %s: %w", v, err)
		}
		var found []string
		for _, e := range entries {
			if !e.IsDir() && slices.Contains(manifestExtensions, strings.ToLower(filepath.Ext(e.Name()))) {
				found = append(found, filepath.Join(v, e.Name()))
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("directory %s holds no .yaml, .yml or .json file", v)
		}
		files = append(files, found...)
	}
	if slices.Contains(files, "-") && len(files) > 1 {
		return nil, errors.New("-f - (stdin) cannot be combined with other files")
	}
	return files, nil
}

// plural is "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
