// Package namedtest gives tests a real named (internal/lab/named) serving a plan's records.
package namedtest

import (
	"context"
	"testing"

	"github.com/ucdeploy/ucdeploy/internal/lab/named"
	"github.com/ucdeploy/ucdeploy/internal/plan"
)

// Serve starts a named whose internal and external views serve the records of their view, and
// closes it when the test ends.
func Serve(t testing.TB, records []plan.Record) *named.Server {
	t.Helper()
	s, err := named.Start(context.Background(), named.Options{Zones: map[named.View][]named.Zone{
		named.Internal: named.PlanZones(records, named.Internal),
		named.External: named.PlanZones(records, named.External),
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stopping named: %v", err)
		}
	})
	return s
}
