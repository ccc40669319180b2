package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// Status reasons.
const (
	// ReasonBound: the current certificate passed its post-check.
	ReasonBound = "Bound"
	// ReasonWaiting: no certificate yet (the Secret has not been issued).
	ReasonWaiting = "Waiting"
	// ReasonSecretMissing: the Secret is gone; what was installed stays.
	ReasonSecretMissing = "SecretMissing"
	// ReasonInstallFailed: a step failed; the previous binding stays and the loop retries.
	ReasonInstallFailed = "InstallFailed"
)

// Status is what a loop reports about its role: the future UCServer status per role.
type Status struct {
	// Role is the loop's role.
	Role string
	// Bound is true when the certificate named by Thumbprint passed its post-check.
	Bound bool
	// Reason is one of the Reason constants; Message says more.
	Reason, Message string
	// Thumbprint, Revision, NotAfter and Services describe the bound certificate.
	Thumbprint string
	Revision   int
	NotAfter   time.Time
	Services   []string
	// RetryAt is when a failed step is tried again, zero when none failed.
	RetryAt time.Time
}

// Reporter receives a loop's Status whenever it changes.
type Reporter interface {
	Report(Status)
}

// Defaults of Config.
const (
	DefaultKeepPrevious   = 2
	DefaultInitialBackoff = 10 * time.Second
	DefaultMaxBackoff     = 10 * time.Minute
	DefaultRenewBefore    = 5 * time.Minute
	// DefaultResync is how long a loop waits with nothing to do before looking again, in case a
	// watch missed a change.
	DefaultResync = 10 * time.Minute
)

// Config is one loop's settings.
type Config struct {
	// Deployment is the UCDeployment's name; Role the role this loop installs.
	Deployment, Role string
	// KeepPrevious is how many certificates this agent installed, besides the bound one, stay
	// installed (for a rollback); older ones are removed. 0 means DefaultKeepPrevious; negative
	// keeps none.
	KeepPrevious int
	// InitialBackoff is the wait after the first failure; it doubles per failure up to MaxBackoff.
	InitialBackoff, MaxBackoff time.Duration
	// RenewBefore: a token that expires sooner than this is renewed before the next API call.
	RenewBefore time.Duration
	// Resync is the longest wait between two looks when nothing happens.
	Resync time.Duration
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.InitialBackoff, DefaultInitialBackoff)
	def(&c.MaxBackoff, DefaultMaxBackoff)
	def(&c.RenewBefore, DefaultRenewBefore)
	def(&c.Resync, DefaultResync)
	switch {
	case c.KeepPrevious == 0:
		c.KeepPrevious = DefaultKeepPrevious
	case c.KeepPrevious < 0:
		c.KeepPrevious = 0
	}
	return c
}

// Loop installs one role's certificate. Step is the state machine; Run drives it.
type Loop struct {
	cfg       Config
	source    Source
	installer Installer
	creds     Credentials // nil: the source needs no token
	reporter  Reporter
	clock     Clock
	store     StateStore

	state RoleState
	// failedKey identifies the inputs of the last failure (thumbprint and script), failures
	// counts the failures in a row for them, and retryAt is when they are tried again.
	failedKey string
	failures  int
	retryAt   time.Time
	lastErr   string
	// bound describes the bound certificate for Status.
	bound    Status
	reported *Status
}

// NewLoop returns the loop of cfg.Role, with the state that store holds from an earlier run.
func NewLoop(cfg Config, source Source, installer Installer, creds Credentials, reporter Reporter, clock Clock, store StateStore) (*Loop, error) {
	s, err := store.Load(cfg.Role)
	if err != nil {
		return nil, err
	}
	l := &Loop{
		cfg: cfg.withDefaults(), source: source, installer: installer, creds: creds,
		reporter: reporter, clock: clock, store: store, state: s,
	}
	if i := s.find(s.Bound); i >= 0 {
		l.bound = Status{Bound: true, Thumbprint: s.Bound, Revision: s.Installed[i].Revision, NotAfter: s.Installed[i].NotAfter}
	}
	return l, nil
}

// State returns what the loop remembers: the bound thumbprint and what it installed.
func (l *Loop) State() RoleState { return l.state }

// Step looks at the role's inputs once and acts on them: installs, binds and checks a new
// certificate, or retries a failed one when its backoff has passed. It reports the Status when it
// changed and returns how long to wait before the next Step when nothing wakes the loop earlier.
func (l *Loop) Step(ctx context.Context) time.Duration {
	now := l.clock.Now()
	st, wait := l.step(ctx, now)
	st.Role = l.cfg.Role
	if l.reported == nil || !reflect.DeepEqual(*l.reported, st) {
		l.reported = &st
		l.reporter.Report(st)
	}
	return wait
}

// step is Step without the reporting.
func (l *Loop) step(ctx context.Context, now time.Time) (Status, time.Duration) {
	if err := l.renew(ctx, now); err != nil {
		return l.fail(now, "token", err)
	}
	m, err := l.source.Secret(ctx, l.cfg.Role)
	if errors.Is(err, ErrNotFound) {
		return l.secretMissing(m, err), l.cfg.Resync
	}
	if err != nil {
		return l.fail(now, "secret", fmt.Errorf("read the Secret: %w", err))
	}
	c, err := certificate(l.cfg.Deployment, l.cfg.Role, m)
	if err != nil {
		return l.fail(now, "material", err)
	}
	if c.Thumbprint == l.state.Bound {
		l.failedKey, l.failures, l.retryAt = "", 0, time.Time{}
		return l.bound, l.cfg.Resync
	}
	in, err := l.source.Inputs(ctx, l.cfg.Role)
	if err != nil {
		return l.fail(now, "inputs", fmt.Errorf("read the install ConfigMap: %w", err))
	}
	key := c.Thumbprint + "/" + digest(in)
	if key == l.failedKey && now.Before(l.retryAt) {
		// The same certificate and script failed and their backoff has not passed.
		return l.failure(l.lastErr), l.retryAt.Sub(now)
	}
	services, err := l.install(ctx, now, c, in)
	if err != nil {
		return l.fail(now, key, err)
	}
	l.failedKey, l.failures, l.retryAt = "", 0, time.Time{}
	l.bound = Status{
		Bound: true, Reason: ReasonBound, Message: fmt.Sprintf("%s (%s) is installed and bound", c.Thumbprint, c.FriendlyName),
		Thumbprint: c.Thumbprint, Revision: c.Revision, NotAfter: c.NotAfter, Services: services,
	}
	st := l.bound
	if err := l.prune(ctx); err != nil {
		st.Message += "; " + err.Error()
	}
	return st, l.cfg.Resync
}

// renew renews the token when it expires within RenewBefore.
func (l *Loop) renew(ctx context.Context, now time.Time) error {
	if l.creds == nil {
		return nil
	}
	exp := l.creds.Expiry()
	if exp.IsZero() || exp.Sub(now) > l.cfg.RenewBefore {
		return nil
	}
	if err := l.creds.Renew(ctx); err != nil {
		return fmt.Errorf("renew the token that expires at %s: %w", exp.UTC().Format(time.RFC3339), err)
	}
	return nil
}

// install records, installs, binds and checks c. The previous certificate stays bound (the
// installer's promise) until Check passes, and installed until prune.
func (l *Loop) install(ctx context.Context, now time.Time, c Certificate, in Inputs) ([]string, error) {
	c.Previous = l.state.Bound
	if l.state.find(c.Thumbprint) < 0 {
		// Recorded before the import: a crash in between leaves a record to prune, never an
		// installed certificate the agent does not know it owns.
		l.state.Installed = append(l.state.Installed, Installed{
			Role: l.cfg.Role, Thumbprint: c.Thumbprint, Revision: c.Revision,
			FriendlyName: c.FriendlyName, NotAfter: c.NotAfter, InstalledAt: now,
		})
		if err := l.store.Save(l.cfg.Role, l.state); err != nil {
			return nil, err
		}
	}
	if err := l.installer.Install(ctx, c); err != nil {
		return nil, fmt.Errorf("install %s: %w", c.FriendlyName, err)
	}
	out, err := l.installer.Bind(ctx, c, in)
	if err != nil {
		return nil, fmt.Errorf("bind %s: %w", c.FriendlyName, err)
	}
	services, err := l.installer.Check(ctx, c, in, out)
	if err != nil {
		return nil, fmt.Errorf("post-check of %s: %w", c.FriendlyName, err)
	}
	l.state.Bound = c.Thumbprint
	if err := l.store.Save(l.cfg.Role, l.state); err != nil {
		return nil, err
	}
	return services, nil
}

// prune removes the certificates this agent installed beyond the bound one and the newest
// KeepPrevious others. A failed removal stays recorded and is tried again after the next install.
func (l *Loop) prune(ctx context.Context) error {
	var others []Installed
	for _, i := range l.state.Installed {
		if i.Thumbprint != l.state.Bound {
			others = append(others, i)
		}
	}
	if len(others) <= l.cfg.KeepPrevious {
		return nil
	}
	var errs []error
	for _, i := range others[:len(others)-l.cfg.KeepPrevious] {
		if err := l.installer.Remove(ctx, i); err != nil {
			errs = append(errs, fmt.Errorf("remove %s (%s): %w", i.Thumbprint, i.FriendlyName, err))
			continue
		}
		l.state.Installed = slices.DeleteFunc(l.state.Installed, func(j Installed) bool { return j.Thumbprint == i.Thumbprint })
	}
	if err := l.store.Save(l.cfg.Role, l.state); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// secretMissing reports a Secret that is gone: whatever is installed and bound stays.
func (l *Loop) secretMissing(m Material, err error) Status {
	st := l.bound
	st.Reason = ReasonSecretMissing
	if l.state.Bound == "" {
		st.Message = fmt.Sprintf("no certificate yet: %v", err)
		st.Reason = ReasonWaiting
		return st
	}
	st.Message = fmt.Sprintf("%v; %s stays installed and bound", err, l.state.Bound)
	if m.SecretName != "" {
		st.Message = fmt.Sprintf("Secret %s: %s", m.SecretName, st.Message)
	}
	return st
}

// fail counts a failure of the inputs named key and schedules the retry: the backoff doubles
// from InitialBackoff per failure in a row, up to MaxBackoff.
func (l *Loop) fail(now time.Time, key string, err error) (Status, time.Duration) {
	if key != l.failedKey {
		l.failedKey, l.failures = key, 0
	}
	wait := l.cfg.InitialBackoff
	for i := 0; i < l.failures && wait < l.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, l.cfg.MaxBackoff)
	l.failures++
	l.retryAt = now.Add(wait)
	msg := err.Error()
	if l.state.Bound != "" {
		msg += "; " + l.state.Bound + " stays bound"
	}
	l.lastErr = msg
	return l.failure(msg), wait
}

// failure is the Status after a failure with message msg.
func (l *Loop) failure(msg string) Status {
	return Status{Bound: false, Reason: ReasonInstallFailed, Message: msg, RetryAt: l.retryAt,
		Thumbprint: l.bound.Thumbprint, Revision: l.bound.Revision, NotAfter: l.bound.NotAfter, Services: l.bound.Services}
}

// digest identifies the install inputs, so that a changed script is tried at once.
func digest(in Inputs) string {
	h := sha256.New()
	h.Write([]byte(in.Script))
	h.Write([]byte{0})
	h.Write(in.InstallJSON)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Run drives the loop until ctx ends: a Step now, then one whenever wake delivers (the source
// saw a change) or the wait Step asked for has passed.
func (l *Loop) Run(ctx context.Context, wake <-chan struct{}) {
	for {
		wait := l.Step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-l.clock.After(wait):
		}
	}
}
