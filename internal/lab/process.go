package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// child is a server process the lab started: kube-controller-manager, Pebble.
type child struct {
	name    string
	logPath string
	pid     int
	exited  chan struct{}
	waitErr error
}

// startChild runs bin with args (and env added to this process's environment) as a child process
// whose stdout and stderr go to logPath, and registers its stop (SIGTERM, SIGKILL after
// stopTimeout) with the lab. The child cannot outlive the lab or this process.
func (l *Lab) startChild(name, logPath string, env []string, stopTimeout time.Duration, bin string, args ...string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group, so that a signal to the test's process group (Ctrl-C) does
		// not reach it before the lab stops it in order.
		Setpgid: true,
		// Killed by the kernel when this process dies without stopping the lab. (Strictly, when
		// the OS thread that started it exits; Go only ends threads of goroutines that exit while
		// locked to them, which the lab does not do.)
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	c := &child{name: name, logPath: logPath, pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(c.exited)
	}()
	l.onStop(func() error { return stopProcessGroup(c.pid, c.exited, stopTimeout) })
	l.opts.Log("%s started, pid %d, log %s", name, c.pid, logPath)
	return c, nil
}

// waitUntil polls ready every 100 ms until it returns true, and fails when the child exits,
// timeout passes or ctx ends first; what names the awaited state in errors.
func (c *child) waitUntil(ctx context.Context, timeout time.Duration, what string, ready func() bool) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(timeout)
	for {
		if ready() {
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%s exited (%v); last lines of %s:\n%s", c.name, c.waitErr, c.logPath, tail(c.logPath, 20))
		case <-deadline:
			return fmt.Errorf("%s: %s not within %s; last lines of %s:\n%s", c.name, what, timeout, c.logPath, tail(c.logPath, 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// logContains reports whether the child's log holds substr.
func (c *child) logContains(substr string) bool {
	data, _ := os.ReadFile(c.logPath)
	return bytes.Contains(data, []byte(substr))
}
