package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// growthSeries is one line of the growth plot: a cost per deployment, normalised to its value at
// the smallest N, so that flat growth is a horizontal line at 1 whatever the unit.
type growthSeries struct {
	name, colour string
	value        func(Row) float64
}

var growthSeriesList = []growthSeries{
	{"converge ms per deployment", "#1f77b4", func(r Row) float64 { return 1000 * r.ConvergeSeconds / float64(r.N) }},
	{"floor ms per deployment", "#7f7f7f", func(r Row) float64 { return 1000 * r.FloorSeconds / float64(r.N) }},
	{"object writes per deployment", "#2ca02c", func(r Row) float64 { return r.ObjectWritesPerDeployment }},
	// The manager's RSS over its baseline (the process with no deployment), per deployment: the
	// peak itself over N would fall with N only because the baseline is shared.
	{"manager RSS growth per deployment", "#d62728", func(r Row) float64 { return r.RSSBytesPerDeployment }},
}

// Plot geometry, in SVG user units.
const (
	plotWidth, plotHeight  = 720, 360
	plotLeft, plotRight    = 60, 250
	plotTop, plotBottom    = 30, 50
	plotMaxRatio           = 2.0 // the y axis runs from 0 to this multiple of the smallest N's cost
	plotTicks              = 4
	plotTitle              = "Cost per deployment relative to the smallest N (flat = 1)"
	plotAxisLabelX, plotFS = "N (UCDeployments, log scale)", 12
)

// WriteGrowthSVG draws each cost per deployment of rows (sorted by N, at least two) against N on
// a log axis, relative to its value at the smallest N: the picture docs/performance.md shows for
// `make bench-large`. It is generated from the report, never drawn by hand.
func WriteGrowthSVG(w io.Writer, rows []Row) error {
	if len(rows) < 2 {
		return fmt.Errorf("a growth plot needs at least two rows, have %d", len(rows))
	}
	minN, maxN := math.Log10(float64(rows[0].N)), math.Log10(float64(rows[len(rows)-1].N))
	if maxN <= minN {
		return fmt.Errorf("rows must grow in N: %d .. %d", rows[0].N, rows[len(rows)-1].N)
	}
	innerW, innerH := float64(plotWidth-plotLeft-plotRight), float64(plotHeight-plotTop-plotBottom)
	x := func(n int) float64 { return plotLeft + innerW*(math.Log10(float64(n))-minN)/(maxN-minN) }
	y := func(ratio float64) float64 {
		return plotTop + innerH*(1-math.Min(ratio, plotMaxRatio)/plotMaxRatio)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="%d">`+"\n", plotWidth, plotHeight, plotFS)
	fmt.Fprintf(&b, `<text x="%d" y="18">%s</text>`+"\n", plotLeft, plotTitle)
	for i := 0; i <= plotTicks; i++ {
		ratio := plotMaxRatio * float64(i) / plotTicks
		fmt.Fprintf(&b, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%.1f</text>`+"\n",
			plotLeft, plotLeft+innerW, y(ratio), y(ratio), plotLeft-6, y(ratio)+4, ratio)
	}
	for _, r := range rows {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%d</text>`+"\n", x(r.N), plotTop+innerH+18, r.N)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", plotLeft+innerW/2, plotHeight-8, plotAxisLabelX)
	for i, s := range growthSeriesList {
		base := s.value(rows[0])
		if base <= 0 {
			continue // not measured in this run
		}
		var points []string
		for _, r := range rows {
			points = append(points, fmt.Sprintf("%.1f,%.1f", x(r.N), y(s.value(r)/base)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", s.colour, strings.Join(points, " "))
		ly := plotTop + 16*float64(i)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			plotLeft+innerW+12, plotLeft+innerW+32, ly, ly, s.colour, plotLeft+innerW+38, ly+4, s.name)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
