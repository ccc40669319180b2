// Package named runs a real BIND 9 name server (/usr/sbin/named) for the lab and the tests: one
// process in its own temporary directory, serving two views on loopback, each view holding the
// zones it is given as zone-file text.
//
// Views. The view "internal" answers queries sent to 127.0.0.1 and the view "external" queries
// sent to ::1, both on one free port (match-destinations): a split-brain DNS the way an
// enterprise runs it, in one process, without root and without a second network interface.
// Note: the second address is the IPv6 loopback and not 127.0.0.2 because named listens only on
// the addresses an interface carries, and lo carries 127.0.0.1 and ::1 (all of 127.0.0.0/8 is
// routed to it, but not assigned); adding 127.0.0.2 to lo would need root and change the host.
//
// Zones. A Zone is a name and a body: zone-file records such as internal/zone renders (an
// $ORIGIN, a $TTL and records, no SOA). The package writes the SOA and an NS record itself, so
// that it owns the serial: every SetZones gives each zone of the view a serial above the one it
// served before, and SetZones returns only when the view answers with the new serials.
//
// Dynamic updates. Options.Update names one view and a TSIG key; the zones of that view accept
// RFC 2136 updates signed with the key (allow-update), as the ACME DNS-01 solver of cert-manager
// sends them. named then keeps the updates in a journal beside the zone file, and the file and
// the updates coexist as follows: SetZones freezes the view's zones (rndc freeze, which refuses
// updates meanwhile), transfers each zone (AXFR from loopback, so it reads what named serves, not
// a file named may still be writing), keeps the records that are not in the body it wrote last
// (the records added by updates), writes the new body plus those records with a serial above
// the served one, and thaws the zones (rndc thaw, which loads the files, drops the journals and
// takes updates again). A record that an update deleted from the static body comes back with the next
// SetZones: the body is the truth for what it names, the updates for what they add.
//
// Process. named runs in the foreground (-f, not -g: -g would send the log to stderr instead of
// the log file) as the current user (no -u), with no pid file and its working directory the
// temporary directory, where it logs to named.log. The control channel (rndc) listens on another
// free loopback port with a key of its own. Close stops the process (SIGTERM, then SIGKILL) and
// removes the directory.
package named

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Binary is the named executable; RNDC is the rndc executable. Both come with Debian's bind9.
const (
	Binary = "/usr/sbin/named"
	RNDC   = "/usr/sbin/rndc"
)

// View names one of the two views the server serves.
type View string

// The two views.
const (
	// Internal is the view of the enterprise's own clients, served on InternalAddress.
	Internal View = "internal"
	// External is the view of the Internet, served on ExternalAddress.
	External View = "external"
)

// Views lists the views in the order the configuration declares them.
var Views = []View{Internal, External}

// The loopback addresses the views answer on.
const (
	InternalAddress = "127.0.0.1"
	ExternalAddress = "::1"
)

// address returns the loopback address view v answers on.
func (v View) address() string {
	if v == External {
		return ExternalAddress
	}
	return InternalAddress
}

// valid reports whether v is one of Views.
func (v View) valid() bool { return v == Internal || v == External }

// Zone is one zone of a view: its name (a domain name, with or without the final dot) and its
// body, zone-file text without SOA (the package adds the SOA and an NS record).
type Zone struct {
	Name string
	Body string
}

// Update lets the holder of Key send RFC 2136 dynamic updates to the zones of View.
type Update struct {
	View View
	Key  TSIGKey
}

// Options configure Start.
type Options struct {
	// Zones are the zones of each view; a view without zones answers REFUSED.
	Zones map[View][]Zone
	// Update, if set, makes the zones of one view accept dynamic updates signed with its key.
	Update *Update
	// ParentDir is where the server's temporary directory is made; empty means os.TempDir().
	ParentDir string
}

const (
	// startAttempts is how often Start tries free ports before giving up: another process may
	// take a port between the probe and named binding it.
	startAttempts = 3
	// readyTimeout bounds the wait for named to answer after a start or a change of zones.
	readyTimeout = 20 * time.Second
	// stopTimeout is how long named gets to exit after SIGTERM before SIGKILL.
	stopTimeout = 10 * time.Second
)

// Server is a running named. Its methods are safe for concurrent use.
type Server struct {
	dir      string
	port     int
	ctlPort  int
	rndcKey  TSIGKey
	update   *Update
	cmd      *exec.Cmd
	exited   chan struct{}
	mu       sync.Mutex
	zones    map[View][]zoneState
	serial   uint32
	closeErr error
	closed   bool
}

// Start writes the configuration and the zones of opts to a new temporary directory, starts
// named on free loopback ports and returns once every zone answers its SOA query.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var errs []error
	for range startAttempts {
		s, err := start(ctx, opts)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("starting named: %w", errors.Join(errs...))
}

// validate checks opts before anything is written.
func (o Options) validate() error {
	for v, zones := range o.Zones {
		if !v.valid() {
			return fmt.Errorf("named: unknown view %q", v)
		}
		if err := validateZones(zones); err != nil {
			return fmt.Errorf("named: view %s: %w", v, err)
		}
	}
	if o.Update != nil {
		if !o.Update.View.valid() {
			return fmt.Errorf("named: update view %q is not a view", o.Update.View)
		}
		if err := o.Update.Key.validate(); err != nil {
			return fmt.Errorf("named: update key: %w", err)
		}
	}
	return nil
}

// start makes one attempt at Start on fresh ports.
func start(ctx context.Context, opts Options) (*Server, error) {
	dir, err := os.MkdirTemp(opts.ParentDir, "named-")
	if err != nil {
		return nil, fmt.Errorf("making the directory: %w", err)
	}
	s := &Server{dir: dir, update: opts.Update, zones: map[View][]zoneState{}, serial: 1}
	if err := s.prepare(opts); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err := s.run(); err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	if err := s.waitServing(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// prepare picks the ports and the control key and writes the zone files and the configuration.
func (s *Server) prepare(opts Options) error {
	var err error
	if s.port, err = freePort(InternalAddress, ExternalAddress); err != nil {
		return err
	}
	if s.ctlPort, err = freePort(InternalAddress); err != nil {
		return err
	}
	if s.rndcKey, err = GenerateTSIGKey("rndc-key"); err != nil {
		return err
	}
	for _, v := range Views {
		if err := os.Mkdir(filepath.Join(s.dir, string(v)), 0o700); err != nil {
			return fmt.Errorf("making the directory of view %s: %w", v, err)
		}
		states, err := s.writeZones(v, opts.Zones[v], nil)
		if err != nil {
			return err
		}
		s.zones[v] = states
	}
	return s.writeConfig()
}

// run starts the named process.
func (s *Server) run() error {
	stderr, err := os.Create(filepath.Join(s.dir, "stderr.log"))
	if err != nil {
		return fmt.Errorf("creating the stderr log: %w", err)
	}
	defer func() { _ = stderr.Close() }()
	s.cmd = exec.Command(Binary, "-f", "-c", s.configPath(), "-n", "1")
	s.cmd.Dir = s.dir
	s.cmd.Stdout, s.cmd.Stderr = stderr, stderr
	// Killed by the kernel when the test or lab process dies without closing the server, so that
	// no named is left behind holding its ports.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", Binary, err)
	}
	s.exited = make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// Addr returns the host:port on which view v answers.
func (s *Server) Addr(v View) string {
	return net.JoinHostPort(v.address(), strconv.Itoa(s.port))
}

// Port returns the port both views answer on.
func (s *Server) Port() int { return s.port }

// Pid returns the process id of named, for measuring it (the benchmark reads its CPU time from
// /proc/<pid>/stat).
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Dir returns the server's directory: named.conf, the zone files and the logs.
func (s *Server) Dir() string { return s.dir }

// LogPath returns the path of named's log file.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "named.log") }

// Close stops named (SIGTERM, then SIGKILL after stopTimeout), waits for it to exit and removes
// its directory. Calling Close again returns the first result.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return s.closeErr
	}
	s.closed = true
	var errs []error
	if s.cmd != nil && s.cmd.Process != nil {
		if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, fmt.Errorf("stopping named: %w", err))
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			errs = append(errs, errors.Join(fmt.Errorf("named did not stop within %s; killing it", stopTimeout), s.cmd.Process.Kill()))
			<-s.exited
		}
	}
	errs = append(errs, os.RemoveAll(s.dir))
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}
