package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/lab"
)

// Report is the JSON of a run (bench/results/latest.json).
type Report struct {
	Machine      Machine       `json:"machine"`
	Config       ReportConfig  `json:"config"`
	Rows         []Row         `json:"rows"`
	RealIssuance *RealIssuance `json:"realIssuance,omitempty"`
	RequestCosts []RequestCost `json:"requestCosts,omitempty"`
	// StatusPatchOverConfigMapCreate is what a status write costs the API server over a
	// ConfigMap create (goal 2: at most 2).
	StatusPatchOverConfigMapCreate float64          `json:"statusPatchOverConfigMapCreate,omitempty"`
	DNSVerification                *DNSVerification `json:"dnsVerification,omitempty"`
	Planner                        []PlannerRow     `json:"planner"`
	PlannerSamples                 []PlannerRow     `json:"plannerSamples"`
	TotalSeconds                   float64          `json:"totalSeconds"`
}

// Machine describes where the run happened.
type Machine struct {
	Time             string  `json:"time"`
	CPUs             int     `json:"nproc"`
	CPUModel         string  `json:"cpuModel"`
	MemoryBytes      int64   `json:"memoryBytes"`
	Kernel           string  `json:"kernel"`
	Go               string  `json:"go"`
	Commit           string  `json:"commit"`
	ControlPlane     string  `json:"controlPlane"`
	LoadAverageStart float64 `json:"loadAverageStart"`
	LoadAverageEnd   float64 `json:"loadAverageEnd"`
}

// ReportConfig is the configuration a run used.
type ReportConfig struct {
	Ns                     []int    `json:"ns"`
	IdleSeconds            float64  `json:"idleSeconds"`
	IdleOthersSeconds      float64  `json:"idleOthersSeconds"`
	IdleN                  int      `json:"idleN"`
	IdleSyncPeriodSeconds  float64  `json:"idleSyncPeriodSeconds"`
	Runs                   int      `json:"runs"`
	RealN                  int      `json:"realN"`
	CostsN                 int      `json:"costsN"`
	VerifyN                int      `json:"verifyN"`
	MaxConcurrentReconcile int      `json:"maxConcurrentReconciles"`
	Creators               int      `json:"creators"`
	StandInWorkers         int      `json:"standInWorkers"`
	Namespaces             int      `json:"namespaces"`
	ManagerArgs            []string `json:"managerArgs,omitempty"`
	ManagerEnv             []string `json:"managerEnv,omitempty"`
	ManagerBinary          string   `json:"managerBinary,omitempty"`
}

// Row is one N.
type Row struct {
	N            int `json:"n"`
	Namespaces   int `json:"namespaces"`
	Certificates int `json:"certificates"`
	ConfigMaps   int `json:"configMaps"`

	// ConvergeSeconds: first create to every UCDeployment Ready (the stand-in marks Certificates).
	ConvergeSeconds float64 `json:"convergeSeconds"`
	// CertificatesExistSeconds: first create to every planned Certificate existing.
	CertificatesExistSeconds float64 `json:"certificatesExistSeconds"`
	// FloorSeconds: the same work done by a bare client (see floor).
	FloorSeconds      float64 `json:"floorSeconds"`
	ConvergeOverFloor float64 `json:"convergeOverFloor"`
	// ConvergeOverFloorRuns is every run's ratio, in run order; ConvergeOverFloor is their median.
	ConvergeOverFloorRuns []float64 `json:"convergeOverFloorRuns,omitempty"`

	// IngressShimSeconds: first Ingress created to every Certificate of ingress-shim existing.
	IngressShimSeconds float64 `json:"ingressShimSeconds"`
	// OursAsPeerSeconds: ucdeploy measured as ingress-shim is (no stand-in), first UCDeployment
	// created to every planned Certificate existing; OursSecondsPerCertificate divides it by the
	// number of Certificates.
	OursAsPeerSeconds                float64 `json:"oursAsPeerSeconds"`
	OursSecondsPerCertificate        float64 `json:"oursSecondsPerCertificate"`
	IngressShimSecondsPerCertificate float64 `json:"ingressShimSecondsPerCertificate"`
	OursOverIngressShim              float64 `json:"oursOverIngressShim"`

	// WritesPerDeployment counts every write request of the manager (events included);
	// ObjectWritesPerDeployment leaves the events out.
	WritesPerDeployment        float64 `json:"writesPerDeployment"`
	ObjectWritesPerDeployment  float64 `json:"objectWritesPerDeployment"`
	MinimumWritesPerDeployment float64 `json:"minimumWritesPerDeployment"`
	Writes                     Writes  `json:"writes"`
	FloorWrites                Writes  `json:"floorWrites"`
	IngressShimWrites          Writes  `json:"ingressShimWrites"`
	Reconciles                 float64 `json:"reconciles"`
	// ReconcileSeconds is the time the workers spent in Reconcile, summed over reconciles.
	ReconcileSeconds float64 `json:"reconcileSeconds"`

	// CPU seconds spent by each process from the first create to the end of each phase.
	ConvergeCPU    CPU `json:"convergeCPU"`
	FloorCPU       CPU `json:"floorCPU"`
	IngressShimCPU CPU `json:"ingressShimCPU"`
	OursAsPeerCPU  CPU `json:"oursAsPeerCPU"`

	// Idle: writes during IdleWindowSeconds after convergence, with the manager restarted with the
	// short sync period; RestartWrites are its writes while it reconciled everything once after
	// the restart. Null when no window was measured at this N.
	IdleWindowSeconds float64 `json:"idleWindowSeconds"`
	IdleWrites        *int64  `json:"idleWrites"`
	RestartWrites     *int64  `json:"restartWrites"`
	IdleReconciles    float64 `json:"idleReconciles"`

	// Memory of the manager process (a child process: /proc/<pid>/status and its
	// go_memstats_heap_inuse_bytes metric), sampled during convergence.
	ManagerBaselineRSSBytes  int64 `json:"managerBaselineRSSBytes"`
	ManagerPeakRSSBytes      int64 `json:"managerPeakRSSBytes"`
	ManagerHighWaterRSSBytes int64 `json:"managerHighWaterRSSBytes"`
	ManagerBaselineHeapBytes int64 `json:"managerBaselineHeapBytes"`
	ManagerPeakHeapBytes     int64 `json:"managerPeakHeapBytes"`
	// RestartPeakRSSBytes is the peak RSS (VmHWM) of the manager restarted for the idle window,
	// which lists all N deployments and their children at start.
	RestartPeakRSSBytes    int64   `json:"restartPeakRSSBytes,omitempty"`
	RSSBytesPerDeployment  float64 `json:"rssBytesPerDeployment"`
	HeapBytesPerDeployment float64 `json:"heapBytesPerDeployment"`

	LoadAverageStart float64 `json:"loadAverageStart"`
	LoadAverageEnd   float64 `json:"loadAverageEnd"`
}

// RealIssuance is the run with cert-manager's controllers issuing every Certificate.
type RealIssuance struct {
	N int `json:"n"`
	// CertManagerAloneSeconds: the same Certificates created directly and issued by the same
	// cert-manager, first create to every one Ready; OverCertManagerAlone is ConvergeSeconds
	// (ucdeploy's apply to every UCDeployment Ready) over it. The fields are those of the run
	// whose ratio is the median; OverCertManagerAloneRuns holds every run's ratio, in the order
	// measured (ucdeploy first in the 1st, 3rd... run, cert-manager alone first in the others).
	CertManagerAloneSeconds  float64   `json:"certManagerAloneSeconds"`
	OverCertManagerAlone     float64   `json:"overCertManagerAlone"`
	OverCertManagerAloneRuns []float64 `json:"overCertManagerAloneRuns"`
	Certificates             int       `json:"certificates"`
	ConvergeSeconds          float64   `json:"convergeSeconds"`
	CertificatesExistSeconds float64   `json:"certificatesExistSeconds"`
	SecondsPerCertificate    float64   `json:"secondsPerCertificate"`
	WritesPerDeployment      float64   `json:"writesPerDeployment"`
	Writes                   Writes    `json:"writes"`
	ManagerPeakRSSBytes      int64     `json:"managerPeakRSSBytes"`
	ManagerPeakHeapBytes     int64     `json:"managerPeakHeapBytes"`
	CPU                      CPU       `json:"cpu"`
	// CertManagerAloneCPU is the CPU the cert-manager-alone run spent (cert-manager runs in the
	// bench process): beside CPU it shows what ucdeploy's run adds on a machine issuance saturates.
	CertManagerAloneCPU CPU `json:"certManagerAloneCPU"`
}

// PlannerRow is plan.Compute's cost for one spec.
type PlannerRow struct {
	Domains     int     `json:"domains"`
	Sample      string  `json:"sample,omitempty"`
	NsPerOp     float64 `json:"nsPerOp"`
	AllocsPerOp int64   `json:"allocsPerOp"`
	BytesPerOp  int64   `json:"bytesPerOp"`
}

func reportConfig(c Config) ReportConfig {
	return ReportConfig{
		Ns: c.Ns, IdleSeconds: c.Idle.Seconds(), IdleOthersSeconds: c.IdleOthers.Seconds(), IdleN: c.IdleN,
		IdleSyncPeriodSeconds: c.IdleSyncPeriod.Seconds(), Runs: c.Runs, RealN: c.RealN, CostsN: c.CostsN, VerifyN: c.VerifyN, MaxConcurrentReconcile: c.Concurrency,
		Creators: c.Creators, StandInWorkers: c.StandInWorkers, Namespaces: c.Namespaces, ManagerArgs: c.ManagerArgs,
		ManagerEnv: c.ManagerEnv, ManagerBinary: c.ManagerBinary,
	}
}

func machine() Machine {
	m := Machine{Time: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadAverageStart: loadAverage()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				m.MemoryBytes = kb * 1024
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	if root, err := lab.RepoRoot(); err == nil {
		cmd := exec.Command("git", "describe", "--always", "--dirty")
		cmd.Dir = root
		if out, err := cmd.Output(); err == nil {
			m.Commit = strings.TrimSpace(string(out))
		}
	}
	m.ControlPlane = filepath.Base(os.Getenv("KUBEBUILDER_ASSETS"))
	return m
}

// loadAverage is the one-minute load average.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// WriteJSON writes the report to dir/latest.json and a dated copy beside it, and returns the
// dated copy's path.
func (r *Report) WriteJSON(dir string) (string, error) {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	stamp := time.Now().UTC().Format("2006-01-02T150405Z")
	dated := filepath.Join(dir, "bench-"+stamp+".json")
	if err := os.WriteFile(dated, data, 0o644); err != nil {
		return "", err
	}
	return dated, os.WriteFile(filepath.Join(dir, "latest.json"), data, 0o644)
}

// WriteTable prints the report as tables.
func (r *Report) WriteTable(out io.Writer) {
	m := r.Machine
	fmt.Fprintf(out, "machine: %d CPUs, %s, %.1f GiB, %s, load average %.1f → %.1f\n",
		m.CPUs, m.CPUModel, float64(m.MemoryBytes)/(1<<30), m.Go, m.LoadAverageStart, m.LoadAverageEnd)
	fmt.Fprintf(out, "manager: --max-concurrent-reconciles=%d %s; %d creators; stand-in %d workers; %d namespaces\n\n",
		r.Config.MaxConcurrentReconcile, strings.Join(r.Config.ManagerArgs, " "), r.Config.Creators, r.Config.StandInWorkers, r.Config.Namespaces)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "N\tcerts\tconverge s\tfloor s\tconv/floor\tours s/cert\tshim s/cert\tours/shim\twrites/ucd\tobject writes/ucd\tminimum\tidle writes\tpeak RSS MiB\tpeak heap MiB\tRSS KiB/ucd\t")
	for _, row := range r.Rows {
		idle := "-"
		if row.IdleWrites != nil {
			idle = fmt.Sprintf("%d in %.0fs", *row.IdleWrites, row.IdleWindowSeconds)
		}
		fmt.Fprintf(w, "%d\t%d\t%.2f\t%.2f\t%.2f\t%.4f\t%.4f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%.1f\t%.1f\t%.1f\t\n",
			row.N, row.Certificates, row.ConvergeSeconds, row.FloorSeconds, row.ConvergeOverFloor,
			row.OursSecondsPerCertificate, row.IngressShimSecondsPerCertificate, row.OursOverIngressShim,
			row.WritesPerDeployment, row.ObjectWritesPerDeployment, row.MinimumWritesPerDeployment, idle,
			mib(row.ManagerPeakRSSBytes), mib(row.ManagerPeakHeapBytes), row.RSSBytesPerDeployment/1024)
	}
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "N\twrites\tcertificates\tconfigmaps\tstatus\tevents\tother\tfloor writes\tshim writes\treconciles\trestart writes\t")
	for _, row := range r.Rows {
		restart := "-"
		if row.RestartWrites != nil {
			restart = strconv.FormatInt(*row.RestartWrites, 10)
		}
		fmt.Fprintf(w, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.0f\t%s\t\n", row.N, row.Writes.Total, row.Writes.Certificates,
			row.Writes.ConfigMaps, row.Writes.Status, row.Writes.Events, row.Writes.Other, row.FloorWrites.Total,
			row.IngressShimWrites.Total, row.Reconciles, restart)
	}
	w.Flush()
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "CPU s\tphase\tmanager\tkube-apiserver\tetcd\tbench process\t")
	for _, row := range r.Rows {
		for _, p := range []struct {
			name string
			cpu  CPU
		}{{"converge", row.ConvergeCPU}, {"floor", row.FloorCPU}, {"ucdeploy as peer", row.OursAsPeerCPU}, {"ingress-shim", row.IngressShimCPU}} {
			fmt.Fprintf(w, "N=%d\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t\n", row.N, p.name, p.cpu.Manager, p.cpu.APIServer, p.cpu.Etcd, p.cpu.Bench)
		}
	}
	w.Flush()
	if ri := r.RealIssuance; ri != nil {
		fmt.Fprintf(out, "\nreal issuance: N=%d, %d certificates issued by cert-manager, converged in %.2f s (%.3f s/cert), writes/ucd %.2f, peak RSS %.1f MiB; "+
			"cert-manager alone %.2f s (x%.2f; runs %s)\n",
			ri.N, ri.Certificates, ri.ConvergeSeconds, ri.SecondsPerCertificate, ri.WritesPerDeployment, mib(ri.ManagerPeakRSSBytes),
			ri.CertManagerAloneSeconds, ri.OverCertManagerAlone, formatRatios(ri.OverCertManagerAloneRuns))
		fmt.Fprintf(out, "  CPU s (manager, kube-apiserver, etcd, bench process with cert-manager): ucdeploy %.1f %.1f %.1f %.1f; cert-manager alone %.1f %.1f %.1f %.1f\n",
			ri.CPU.Manager, ri.CPU.APIServer, ri.CPU.Etcd, ri.CPU.Bench,
			ri.CertManagerAloneCPU.Manager, ri.CertManagerAloneCPU.APIServer, ri.CertManagerAloneCPU.Etcd, ri.CertManagerAloneCPU.Bench)
	}
	if v := r.DNSVerification; v != nil {
		v.writeLine(out)
	}
	if len(r.RequestCosts) > 0 {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(w, "request (alone)\tcount\ts\tkube-apiserver CPU s\tetcd CPU s\tkube-apiserver CPU ms/request\t")
		for _, c := range r.RequestCosts {
			fmt.Fprintf(w, "%s\t%d\t%.2f\t%.1f\t%.1f\t%.2f\t\n", c.Request, c.Count, c.Seconds, c.APIServerCPUSeconds, c.EtcdCPUSeconds, c.APIServerMillisPerRequest)
		}
		w.Flush()
		fmt.Fprintf(out, "status patch over ConfigMap create: x%.2f\n", r.StatusPatchOverConfigMapCreate)
	}
	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "planner\tdomains\tµs/op\tallocs/op\tB/op\t")
	for _, p := range append(append([]PlannerRow{}, r.Planner...), r.PlannerSamples...) {
		name := "enterprise"
		if p.Sample != "" {
			name = p.Sample
		}
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%d\t%d\t\n", name, p.Domains, p.NsPerOp/1000, p.AllocsPerOp, p.BytesPerOp)
	}
	w.Flush()
	fmt.Fprintf(out, "\ntotal %.0f s\n", r.TotalSeconds)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// formatRatios formats the ratios of several runs as "x1.10 x1.25".
func formatRatios(ratios []float64) string {
	parts := make([]string, len(ratios))
	for i, r := range ratios {
		parts[i] = fmt.Sprintf("x%.2f", r)
	}
	return strings.Join(parts, " ")
}
