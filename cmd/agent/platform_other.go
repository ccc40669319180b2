//go:build !windows

package main

// defaultMode is --install's default: files everywhere but Windows.
const defaultMode = "files"

// defaultStateDir is --state-dir's default.
func defaultStateDir() string { return "/var/lib/ucdeploy-agent" }

// dispatch runs the agent in the foreground: there is no service mode outside Windows.
func dispatch(args []string) int { return foreground(args) }
