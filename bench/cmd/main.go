// Command bench is `make bench`: it starts a lab and measures the ucdeploy manager against a
// floor and against cert-manager's ingress-shim for N UCDeployments, prints the results and
// writes them to bench/results/latest.json and a dated copy. See docs/performance.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/ucdeploy/ucdeploy/bench"
	"github.com/ucdeploy/ucdeploy/internal/lab"
)

// plotPath is -plot: where to draw the growth plot (bench.WriteGrowthSVG) of the run's rows.
var plotPath = flag.String("plot", "", "also draw cost per deployment against N into this SVG file (make bench-large: docs/performance-growth.svg)")

// plotFrom is -plot-from: draw the -plot of a report written before instead of running.
var plotFrom = flag.String("plot-from", "", "with -plot: draw the growth plot of this results JSON (e.g. bench/results/large/latest.json) and run nothing")

func main() {
	cfg, out := parseFlags()
	if *plotFrom != "" {
		if err := replot(*plotFrom, *plotPath); err != nil {
			fatalf("drawing the growth plot of %s: %v", *plotFrom, err)
		}
		fmt.Printf("growth plot: %s\n", *plotPath)
		return
	}
	start := time.Now()
	cfg.Log = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench %6.1fs: %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	ctrl.SetLogger(logr.Discard())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		fatalf("%v", err)
	}
	report.WriteTable(os.Stdout)
	if out == "" {
		root, err := lab.RepoRoot()
		if err != nil {
			fatalf("%v", err)
		}
		out = filepath.Join(root, "bench", "results")
	}
	dated, err := report.WriteJSON(out)
	if err != nil {
		fatalf("writing results: %v", err)
	}
	fmt.Printf("results: %s and %s\n", filepath.Join(out, "latest.json"), dated)
	if *plotPath != "" {
		if err := writePlot(*plotPath, report.Rows); err != nil {
			fatalf("drawing the growth plot: %v", err)
		}
		fmt.Printf("growth plot: %s\n", *plotPath)
	}
}

// replot draws the growth plot of the report in file into path.
func replot(file, path string) error {
	if path == "" {
		return fmt.Errorf("-plot-from needs -plot")
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var report bench.Report
	if err := json.Unmarshal(data, &report); err != nil {
		return err
	}
	return writePlot(path, report.Rows)
}

// writePlot draws the growth plot of rows into path.
func writePlot(path string, rows []bench.Row) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := bench.WriteGrowthSVG(f, rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parseFlags returns the configuration the flags ask for and the results directory ("" for
// bench/results in the repository).
func parseFlags() (bench.Config, string) {
	short := flag.Bool("short", false, "CI size: N=20, a 5 s idle window, real issuance of 8")
	ns := flag.String("n", "", "comma-separated numbers of UCDeployments (default 100,500,1000)")
	idle := flag.Duration("idle", 0, "idle window at the idle N (default 60s; 5s with -short)")
	idleOthers := flag.Duration("idle-others", -1, "idle window at every other N (default 10s; 0 skips)")
	idleN := flag.Int("idle-n", 0, "N of the long idle window (default: the largest)")
	runs := flag.Int("runs", 0, "times convergence and the floor are measured at each N, and real issuance and cert-manager alone, in alternating order; the median is reported (default 3; 1 with -short)")
	realN := flag.Int("real-n", -1, "N of the run with real cert-manager issuance (default 100; 0 skips)")
	costsN := flag.Int("costs-n", -1, "deployments whose objects measure the API server's cost of each kind of request (default 1000; 0 skips)")
	verifyN := flag.Int("verify-n", -1, "deployments whose DNS records one verification pass checks against a real named (default 1000; 20 with -short; 0 skips)")
	concurrency := flag.Int("concurrency", 0, "the manager's --max-concurrent-reconciles, also the floor's and ingress-shim's workers (default: the manager's default)")
	creators := flag.Int("creators", 0, "goroutines creating the UCDeployments (default 4)")
	managerArgs := flag.String("manager-args", "", "extra ucdeploy flags, space-separated")
	managerEnv := flag.String("manager-env", "", "extra environment of the manager process, space-separated KEY=VALUE")
	out := flag.String("out", "", "results directory (default bench/results in the repository)")
	trace := flag.Bool("trace-writes", false, "log every write of the manager")
	bin := flag.String("manager-bin", "", "run this ucdeploy binary instead of building the repository's")
	skip := flag.String("skip", "", "comma-separated phases to leave out: floor, ingress-shim, planner (experiments only)")
	flag.Parse()

	cfg := bench.DefaultConfig()
	if *short {
		cfg = bench.ShortConfig()
	}
	if *ns != "" {
		cfg.Ns = parseNs(*ns)
	}
	if *idle > 0 {
		cfg.Idle = *idle
	}
	if *idleOthers >= 0 {
		cfg.IdleOthers = *idleOthers
	}
	cfg.IdleN = *idleN
	if *runs > 0 {
		cfg.Runs = *runs
	}
	if *realN >= 0 {
		cfg.RealN = *realN
	}
	if *costsN >= 0 {
		cfg.CostsN = *costsN
	}
	if *verifyN >= 0 {
		cfg.VerifyN = *verifyN
	}
	if *concurrency > 0 {
		cfg.Concurrency = *concurrency
	}
	if *creators > 0 {
		cfg.Creators = *creators
	}
	if *managerArgs != "" {
		cfg.ManagerArgs = strings.Fields(*managerArgs)
	}
	cfg.ManagerEnv = strings.Fields(*managerEnv)
	cfg.TraceWrites = *trace
	cfg.KeepLogs = true
	cfg.ManagerBinary = *bin
	parseSkip(&cfg, *skip)
	return cfg, *out
}

// parseNs parses -n.
func parseNs(list string) []int {
	var out []int
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fatalf("-n: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out
}

// parseSkip sets the Skip fields of cfg that -skip names.
func parseSkip(cfg *bench.Config, list string) {
	for f := range strings.SplitSeq(list, ",") {
		switch strings.TrimSpace(f) {
		case "":
		case "floor":
			cfg.SkipFloor = true
		case "ingress-shim":
			cfg.SkipIngressShim = true
		case "planner":
			cfg.SkipPlanner = true
		default:
			fatalf("-skip: unknown phase %q", f)
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}
