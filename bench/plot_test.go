package bench

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
)

// TestWriteGrowthSVG: the plot is well-formed SVG with one line per measured series through one
// point per row, a flat cost is drawn at ratio 1, and fewer than two rows are refused.
func TestWriteGrowthSVG(t *testing.T) {
	rows := []Row{
		{N: 100, ConvergeSeconds: 5, FloorSeconds: 4, ObjectWritesPerDeployment: 7.5, RSSBytesPerDeployment: 50 << 10},
		{N: 1000, ConvergeSeconds: 50, FloorSeconds: 40, ObjectWritesPerDeployment: 7.5, RSSBytesPerDeployment: 50 << 10},
		{N: 5000, ConvergeSeconds: 250, FloorSeconds: 200, ObjectWritesPerDeployment: 7.5, RSSBytesPerDeployment: 50 << 10},
	}
	var b strings.Builder
	if err := WriteGrowthSVG(&b, rows); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Lines []struct {
			Points string `xml:"points,attr"`
		} `xml:"polyline"`
	}
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	if len(doc.Lines) != len(growthSeriesList) {
		t.Fatalf("%d lines, want %d", len(doc.Lines), len(growthSeriesList))
	}
	// Every cost here is flat, so every point sits at the y of ratio 1: the middle of the axis.
	wantY := plotTop + float64(plotHeight-plotTop-plotBottom)*(1-1/plotMaxRatio)
	for _, l := range doc.Lines {
		pts := strings.Fields(l.Points)
		if len(pts) != len(rows) {
			t.Fatalf("%d points, want %d", len(pts), len(rows))
		}
		for _, p := range pts {
			if want := fmt.Sprintf(",%.1f", wantY); !strings.HasSuffix(p, want) {
				t.Errorf("point %s: a flat cost must be drawn at y%s", p, want)
			}
		}
	}
	if err := WriteGrowthSVG(&b, rows[:1]); err == nil {
		t.Error("one row drew a plot")
	}
}
