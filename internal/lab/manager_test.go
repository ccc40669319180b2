package lab_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/lab"
)

// counter is a transport wrapper that counts the requests passing through it.
type counter struct{ n atomic.Int64 }

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (c *counter) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		c.n.Add(1)
		return next.RoundTrip(r)
	})
}

// TestManagers starts a ucdeploy manager each way the lab runs one, as the least-privilege user
// through a counting transport, and checks that it runs (its workers start, its metrics answer,
// its requests pass the transport) and that Stop and Kill end it.
func TestManagers(t *testing.T) {
	l, err := lab.Start(t.Context(), lab.Options{Log: t.Logf})
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Stop(); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
	})
	for _, tc := range []struct {
		name      string
		inProcess bool
		kill      bool
	}{
		{"process, stopped", false, false},
		{"process, killed", false, true},
		{"in process", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := lab.DefaultManagerOptions()
			opts.ProbeAddr = "0"
			var c counter
			m, err := l.StartManager(t.Context(), lab.ManagerOptions{Options: opts, InProcess: tc.inProcess, AsUser: true,
				ServeMetrics: true, Transport: c.wrap})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			if !tc.inProcess { // the in-process manager logs to the process-wide logger, which the test may own
				if err := m.WaitForLog(ctx, "Starting workers"); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Poll(ctx, 100*time.Millisecond, func() (bool, error) { return metricsAnswer(m.MetricsURL()) == nil, nil }); err != nil {
				t.Fatalf("metrics at %s: %v (%v)", m.MetricsURL(), err, metricsAnswer(m.MetricsURL()))
			}
			if c.n.Load() == 0 {
				t.Error("no request passed the transport")
			}
			end := m.Stop
			if tc.kill {
				end = m.Kill
			}
			if err := end(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-m.Exited():
			default:
				t.Fatal("the manager has not exited")
			}
			if err := metricsAnswer(m.MetricsURL()); err == nil {
				t.Error("the metrics endpoint still answers after the manager ended")
			}
		})
	}
}

// metricsAnswer reports whether a Prometheus endpoint answers 200.
func metricsAnswer(url string) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}
