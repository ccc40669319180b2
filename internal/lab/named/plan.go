package named

import (
	"github.com/ucdeploy/ucdeploy/internal/plan"
	"github.com/ucdeploy/ucdeploy/internal/zone"
)

// PlanZones returns the zones of view that serve the planned records of that view, their bodies
// rendered by internal/zone as the DNS ConfigMaps carry them.
func PlanZones(records []plan.Record, view View) []Zone {
	var mine []plan.Record
	for _, r := range records {
		if string(r.View) == string(view) {
			mine = append(mine, r)
		}
	}
	var zones []Zone
	for _, z := range zone.Zones(mine) {
		zones = append(zones, Zone{Name: z, Body: zone.File(z, mine, "")})
	}
	return zones
}
