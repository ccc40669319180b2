package agent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoopInstallsANewRevision(t *testing.T) {
	r := newRig(t, Config{}, nil)
	ctx := context.Background()
	r1 := issue(t, "pool.contoso.com", 1)
	r.serve(r1)
	if wait := r.loop.Step(ctx); wait != DefaultResync {
		t.Errorf("wait after a bound install = %s, want %s", wait, DefaultResync)
	}
	st := r.rep.last(t)
	if !st.Bound || st.Reason != ReasonBound || st.Thumbprint != thumb(t, r1) || st.Revision != 1 || !slices.Equal(st.Services, []string{"IIS"}) {
		t.Fatalf("status after r1 = %+v", st)
	}
	if !slices.Equal(r.inst.installed, []string{"lab-pool-r1"}) || r.inst.bound != thumb(t, r1) {
		t.Fatalf("installed %v, bound %s", r.inst.installed, r.inst.bound)
	}

	// The same revision again: nothing to do, nothing reported.
	reports := len(r.rep.all)
	r.loop.Step(ctx)
	if len(r.inst.installed) != 1 || len(r.rep.all) != reports {
		t.Fatalf("a second look at r1 installed %v and reported %d times", r.inst.installed, len(r.rep.all)-reports)
	}

	r2 := issue(t, "pool.contoso.com", 2)
	r.serve(r2)
	r.loop.Step(ctx)
	if st := r.rep.last(t); !st.Bound || st.Thumbprint != thumb(t, r2) {
		t.Fatalf("status after r2 = %+v", st)
	}
	if want := []string{"", thumb(t, r1)}; !slices.Equal(r.inst.previousAtInstall, want) {
		t.Errorf("Previous given to the installer = %v, want %v", r.inst.previousAtInstall, want)
	}

	// A restarted agent remembers what it bound and does not install it again.
	again, err := NewLoop(Config{Deployment: "lab", Role: "pool"}, r.src, r.inst, nil, r.rep, r.clock, r.store)
	if err != nil {
		t.Fatal(err)
	}
	again.Step(ctx)
	if len(r.inst.installed) != 2 {
		t.Fatalf("a restarted loop installed again: %v", r.inst.installed)
	}
	if st := r.rep.last(t); !st.Bound || st.Thumbprint != thumb(t, r2) {
		t.Fatalf("status of the restarted loop = %+v", st)
	}
}

func TestLoopFailedPostCheckKeepsThePreviousCertificate(t *testing.T) {
	r := newRig(t, Config{KeepPrevious: -1}, nil)
	ctx := context.Background()
	r1, r2 := issue(t, "pool.contoso.com", 1), issue(t, "pool.contoso.com", 2)
	r.serve(r1)
	r.loop.Step(ctx)
	r.inst.failCheck = errors.New("Get-CsCertificate does not show WebServicesExternal")
	r.serve(r2)
	r.loop.Step(ctx)

	st := r.rep.last(t)
	if st.Bound || st.Reason != ReasonInstallFailed {
		t.Fatalf("status after a failed post-check = %+v, want Bound=false InstallFailed", st)
	}
	for _, want := range []string{"post-check of lab-pool-r2", "WebServicesExternal", thumb(t, r1) + " stays bound"} {
		if !strings.Contains(st.Message, want) {
			t.Errorf("message %q lacks %q", st.Message, want)
		}
	}
	if st.Thumbprint != thumb(t, r1) {
		t.Errorf("status names %s, want the bound r1 %s", st.Thumbprint, thumb(t, r1))
	}
	s := r.loop.State()
	if s.Bound != thumb(t, r1) {
		t.Errorf("state bound = %s, want r1", s.Bound)
	}
	// KeepPrevious=-1 keeps none, yet r1 is not removed: only a passed post-check prunes.
	if len(r.inst.removed) != 0 {
		t.Errorf("removed %v after a failed post-check", r.inst.removed)
	}
	if _, ok := r.inst.store[thumb(t, r1)]; !ok {
		t.Error("r1 left the store")
	}
}

func TestLoopRetriesWithCappedBackoff(t *testing.T) {
	r := newRig(t, Config{InitialBackoff: 10 * time.Second, MaxBackoff: time.Minute}, nil)
	ctx := context.Background()
	r.serve(issue(t, "pool.contoso.com", 1))
	r.inst.failBind = errors.New("Set-CsCertificate: access denied")

	var waits []time.Duration
	for range 5 {
		w := r.loop.Step(ctx)
		waits = append(waits, w)
		if st := r.rep.last(t); st.RetryAt != r.clock.now.Add(w) {
			t.Errorf("RetryAt %s, want %s", st.RetryAt, r.clock.now.Add(w))
		}
		r.clock.advance(w)
	}
	if want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute}; !slices.Equal(waits, want) {
		t.Errorf("backoff %v, want %v", waits, want)
	}
	if len(r.inst.installed) != 5 {
		t.Fatalf("%d attempts, want 5", len(r.inst.installed))
	}

	// Woken before the backoff passes (a watch event with the same inputs): no attempt.
	w := r.loop.Step(ctx)
	r.clock.advance(w / 2)
	if rest := r.loop.Step(ctx); rest != w-w/2 {
		t.Errorf("early wake waits %s, want the rest %s", rest, w-w/2)
	}
	if len(r.inst.installed) != 6 {
		t.Fatalf("an early wake attempted: %d attempts, want 6", len(r.inst.installed))
	}
	if st := r.rep.last(t); !strings.Contains(st.Message, "access denied") {
		t.Errorf("the waiting status lost the error: %q", st.Message)
	}

	// A changed script is the fix: tried at once, and the backoff starts over.
	r.src.inputs.Script = "# pool.ps1, fixed"
	r.inst.failBind = nil
	r.loop.Step(ctx)
	if len(r.inst.installed) != 7 || !r.rep.last(t).Bound {
		t.Fatalf("a changed script was not tried at once: %d attempts, %+v", len(r.inst.installed), r.rep.last(t))
	}
	r.serve(issue(t, "pool.contoso.com", 2))
	r.inst.failBind = errors.New("again")
	if w := r.loop.Step(ctx); w != 10*time.Second {
		t.Errorf("first failure after a success waits %s, want 10s", w)
	}
}

func TestLoopPrunesBeyondKeepPrevious(t *testing.T) {
	for _, tc := range []struct {
		keep, wantKept int
	}{{0, DefaultKeepPrevious}, {1, 1}, {3, 3}, {-1, 0}} {
		r := newRig(t, Config{KeepPrevious: tc.keep}, nil)
		ctx := context.Background()
		var thumbs []string
		for rev := 1; rev <= 5; rev++ {
			m := issue(t, "pool.contoso.com", rev)
			thumbs = append(thumbs, thumb(t, m))
			r.serve(m)
			r.loop.Step(ctx)
		}
		if !slices.Equal(r.inst.removed, thumbs[:4-tc.wantKept]) {
			t.Errorf("keep %d: removed %v, want the oldest %d", tc.keep, r.inst.removed, 4-tc.wantKept)
		}
		var left []string
		for _, i := range r.loop.State().Installed {
			left = append(left, i.Thumbprint)
		}
		if want := thumbs[4-tc.wantKept:]; !slices.Equal(left, want) {
			t.Errorf("keep %d: state keeps %v, want %v", tc.keep, left, want)
		}
		if _, ok := r.inst.store["FOREIGN"]; !ok {
			t.Errorf("keep %d: a certificate the agent did not install was removed", tc.keep)
		}
	}
}

func TestLoopPruneFailureIsReportedAndRetried(t *testing.T) {
	r := newRig(t, Config{KeepPrevious: -1}, nil)
	ctx := context.Background()
	r1 := issue(t, "pool.contoso.com", 1)
	r.serve(r1)
	r.loop.Step(ctx)
	r.inst.failRemove = errors.New("the key is in use")
	r.serve(issue(t, "pool.contoso.com", 2))
	r.loop.Step(ctx)
	if st := r.rep.last(t); !st.Bound || !strings.Contains(st.Message, "the key is in use") {
		t.Fatalf("status after a failed removal = %+v", st)
	}
	if r.loop.State().find(thumb(t, r1)) < 0 {
		t.Fatal("a certificate whose removal failed was forgotten")
	}
	r.inst.failRemove = nil
	r.serve(issue(t, "pool.contoso.com", 3))
	r.loop.Step(ctx)
	if !slices.Contains(r.inst.removed, thumb(t, r1)) {
		t.Errorf("r1 was not removed at the next install: %v", r.inst.removed)
	}
}

func TestLoopSecretThatDisappearsLeavesTheCertificate(t *testing.T) {
	r := newRig(t, Config{KeepPrevious: -1}, nil)
	ctx := context.Background()

	// No Secret yet: waiting, nothing installed.
	r.loop.Step(ctx)
	if st := r.rep.last(t); st.Reason != ReasonWaiting || st.Bound {
		t.Fatalf("status before the first issuance = %+v", st)
	}

	r1 := issue(t, "pool.contoso.com", 1)
	r.serve(r1)
	r.loop.Step(ctx)
	r.src.secret = nil
	if wait := r.loop.Step(ctx); wait != DefaultResync {
		t.Errorf("wait with the Secret gone = %s, want %s", wait, DefaultResync)
	}
	st := r.rep.last(t)
	if st.Reason != ReasonSecretMissing || !st.Bound || st.Thumbprint != thumb(t, r1) {
		t.Fatalf("status with the Secret gone = %+v", st)
	}
	if !strings.Contains(st.Message, "lab-pool") || !strings.Contains(st.Message, thumb(t, r1)+" stays installed and bound") {
		t.Errorf("message %q does not say which Secret is gone and what stays", st.Message)
	}
	if len(r.inst.removed) != 0 || r.inst.bound != thumb(t, r1) {
		t.Fatalf("the loop removed %v or unbound (bound %s)", r.inst.removed, r.inst.bound)
	}

	// It comes back with the same certificate: bound again, nothing reinstalled.
	r.serve(r1)
	r.loop.Step(ctx)
	if st := r.rep.last(t); st.Reason != ReasonBound || len(r.inst.installed) != 1 {
		t.Fatalf("after the Secret came back: %+v, installed %v", st, r.inst.installed)
	}
}

func TestLoopRenewsATokenAboutToExpire(t *testing.T) {
	creds := &fakeCreds{expiry: t0.Add(2 * time.Minute)}
	r := newRig(t, Config{RenewBefore: 5 * time.Minute}, creds)
	ctx := context.Background()
	r.serve(issue(t, "pool.contoso.com", 1))
	r.loop.Step(ctx)
	if creds.renewals != 1 || !slices.Equal(r.src.calls, []bool{true}) {
		t.Fatalf("renewals %d, token good at each call %v: want one renewal before the call", creds.renewals, r.src.calls)
	}
	// An hour of validity left: no renewal.
	r.loop.Step(ctx)
	if creds.renewals != 1 {
		t.Errorf("a token an hour from expiry was renewed")
	}

	// Renewal fails: no API call with a token about to expire, a failure with backoff instead.
	r.clock.advance(58 * time.Minute)
	creds.fail = errors.New("TokenRequest forbidden")
	calls := len(r.src.calls)
	if w := r.loop.Step(ctx); w != DefaultInitialBackoff {
		t.Errorf("wait after a failed renewal = %s, want %s", w, DefaultInitialBackoff)
	}
	if len(r.src.calls) != calls {
		t.Error("the source was called with a token about to expire")
	}
	if st := r.rep.last(t); st.Bound || !strings.Contains(st.Message, "TokenRequest forbidden") {
		t.Errorf("status after a failed renewal = %+v", st)
	}
}

func TestLoopRefusesAKeyThatDoesNotMatch(t *testing.T) {
	r := newRig(t, Config{}, nil)
	m := issue(t, "pool.contoso.com", 1)
	m.Key = issue(t, "other", 1).Key
	r.serve(m)
	r.loop.Step(context.Background())
	if st := r.rep.last(t); st.Bound || !strings.Contains(st.Message, "tls.key") || len(r.inst.installed) != 0 {
		t.Fatalf("a mismatched key: status %+v, installed %v", st, r.inst.installed)
	}
}
