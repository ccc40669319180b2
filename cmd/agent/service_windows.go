package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// serviceName is the Windows service and event log source.
const serviceName = "ucdeploy-agent"

// defaultMode is --install's default on Windows.
const defaultMode = "windows"

// defaultStateDir is --state-dir's default: under ProgramData, which only administrators and
// SYSTEM may write.
func defaultStateDir() string {
	return filepath.Join(os.Getenv("ProgramData"), "ucdeploy-agent")
}

// dispatch: `service install FLAGS`, `service uninstall`, `service run FLAGS` (what the service
// manager starts), or the agent in the foreground.
func dispatch(args []string) int {
	if len(args) < 2 || args[0] != "service" {
		return foreground(args)
	}
	var err error
	switch args[1] {
	case "install":
		err = installService(args[2:])
	case "uninstall":
		err = uninstallService()
	case "run":
		err = runService(args[2:])
	default:
		err = fmt.Errorf("service %q: want install, uninstall or run", args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "agent:", err)
		return 1
	}
	return 0
}

// installService registers the service (automatic start, LocalSystem: the machine store needs
// it) to run this executable with `service run FLAGS`, and the event log source.
func installService(flags []string) error {
	if _, err := parse(flags); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager: %w", err)
	}
	defer func() { _ = m.Disconnect() }()
	s, err := m.CreateService(serviceName, exe, mgr.Config{
		DisplayName: "ucdeploy agent", StartType: mgr.StartAutomatic,
		Description: "Installs and binds the certificates ucdeploy issues for this server.",
	}, append([]string{"service", "run"}, flags...)...)
	if err != nil {
		return fmt.Errorf("create service %s: %w", serviceName, err)
	}
	defer func() { _ = s.Close() }()
	if err := eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "exists") {
		return fmt.Errorf("register the event log source: %w", err)
	}
	return nil
}

// uninstallService removes the service and its event log source. It leaves --state-dir and the
// installed certificates: docs/agent.md says how to remove them.
func uninstallService() error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager: %w", err)
	}
	defer func() { _ = m.Disconnect() }()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return fmt.Errorf("open service %s: %w", serviceName, err)
	}
	defer func() { _ = s.Close() }()
	if err := s.Delete(); err != nil {
		return fmt.Errorf("delete service %s: %w", serviceName, err)
	}
	_ = eventlog.Remove(serviceName)
	return nil
}

// service is the agent under the service manager.
type service struct {
	o   options
	log *slog.Logger
	ev  *eventlog.Log
}

// Execute runs the agent until the service manager stops it.
func (s *service) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, s.o, s.log) }()
	changes <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	_ = s.ev.Info(1, "ucdeploy agent started")
	for {
		select {
		case err := <-done:
			cancel()
			if err != nil {
				_ = s.ev.Error(3, err.Error())
				return false, 1
			}
			return false, 0
		case c := <-r:
			switch c.Cmd {
			case svc.Interrogate:
				changes <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				changes <- svc.Status{State: svc.StopPending}
				cancel()
				<-done
				_ = s.ev.Info(2, "ucdeploy agent stopped")
				return false, 0
			}
		}
	}
}

// runService runs the agent as the service, logging to <state-dir>\agent.log and the event log.
func runService(flags []string) error {
	o, err := parse(flags)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", o.stateDir, err)
	}
	f, err := os.OpenFile(filepath.Join(o.stateDir, "agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open the log file: %w", err)
	}
	defer func() { _ = f.Close() }()
	ev, err := eventlog.Open(serviceName)
	if err != nil {
		return fmt.Errorf("open the event log: %w", err)
	}
	defer func() { _ = ev.Close() }()
	return svc.Run(serviceName, &service{o: o, log: slog.New(slog.NewTextHandler(f, nil)), ev: ev})
}
