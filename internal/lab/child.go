package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// child is a server process the lab started: kube-controller-manager, Pebble.
type child struct {
	name    string
	logPath string
	pid     int
	exited  <-chan struct{}
	waitErr error
}

// startChild runs bin with args (and env added to this process's environment) as a child process
// whose stdout and stderr go to logPath (startProcess), and registers its stop (SIGTERM, SIGKILL
// after stopTimeout) with the lab. The child cannot outlive the lab or this process.
func (l *Lab) startChild(name, logPath string, env []string, stopTimeout time.Duration, bin string, args ...string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	c := &child{name: name, logPath: logPath}
	exited, err := startProcess(cmd, logFile, func(err error) { c.waitErr = err })
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	c.pid, c.exited = cmd.Process.Pid, exited
	l.onStop(func() error { return stopProcessGroup(c.pid, c.exited, stopTimeout) })
	l.opts.Log("%s started, pid %d, log %s", name, c.pid, logPath)
	return c, nil
}

// waitUntil polls ready every 100 ms until it returns true, and fails when the child exits,
// timeout passes or ctx ends first; what names the awaited state in errors.
func (c *child) waitUntil(ctx context.Context, timeout time.Duration, what string, ready func() bool) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch err := poll(wctx, 100*time.Millisecond, c.exited, func() (bool, error) { return ready(), nil }); {
	case errors.Is(err, errExited):
		return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", c.name, c.waitErr, c.logPath, tail(c.logPath, 20))
	case err != nil && ctx.Err() == nil:
		return fmt.Errorf("%s: %s not within %s; last lines of %s:\n%s", c.name, what, timeout, c.logPath, tail(c.logPath, 20))
	default:
		return err
	}
}

// logContains reports whether the child's log holds substr.
func (c *child) logContains(substr string) bool {
	ok, _ := fileContains(c.logPath, substr)()
	return ok
}
