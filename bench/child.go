package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildManager compiles the ucdeploy binary (the module's main package) into dir.
func buildManager(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "ucdeploy")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build of the manager: %w\n%s", err, out)
	}
	return bin, nil
}

// managerFlags are the ucdeploy flags a run varies.
type managerFlags struct {
	concurrency int
	syncPeriod  time.Duration
	extra       []string
	env         []string
}

// managerProcess is the ucdeploy binary running as a child process, exactly as in production
// (main.go, ctrl.GetConfig from $KUBECONFIG), with its metrics on a loopback port.
type managerProcess struct {
	cmd         *exec.Cmd
	exited      chan struct{}
	waitErr     error
	metricsAddr string
	logPath     string

	stopSampling context.CancelFunc
	sampled      chan struct{}
	mu           sync.Mutex
	mem          memory
}

// memory is what the sampler saw of the manager process.
type memory struct {
	rss, peakRSS   int64 // VmRSS now and the highest sample since the last reset
	hwm            int64 // VmHWM: the kernel's peak RSS of the process's whole life
	heap, peakHeap int64 // go_memstats_heap_inuse_bytes now and the highest sample since the last reset
}

// startManager starts the manager with kubeconfig and waits until its metrics endpoint answers.
func startManager(ctx context.Context, bin, kubeconfig, logPath string, f managerFlags) (*managerProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	m := &managerProcess{metricsAddr: fmt.Sprintf("127.0.0.1:%d", port), exited: make(chan struct{}), logPath: logPath}
	args := []string{
		"--metrics-bind-address=" + m.metricsAddr,
		"--health-probe-bind-address=0",
		"--max-concurrent-reconciles=" + strconv.Itoa(f.concurrency),
		"--sync-period=" + f.syncPeriod.String(),
		"--zap-log-level=error",
	}
	m.cmd = exec.Command(bin, append(args, f.extra...)...)
	m.cmd.Env = append(append(os.Environ(), f.env...), "KUBECONFIG="+kubeconfig)
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	// Its own process group, killed with this process if it dies first.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting the manager: %w", err)
	}
	go func() {
		m.waitErr = m.cmd.Wait()
		_ = logFile.Close()
		close(m.exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := m.scrape(); err == nil {
			break
		}
		select {
		case <-m.exited:
			return nil, fmt.Errorf("the manager exited (%v); its log %s:\n%s", m.waitErr, logPath, tailFile(logPath, 20))
		case <-ctx.Done():
			_ = m.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = m.stop()
			return nil, fmt.Errorf("the manager's metrics endpoint did not answer within 60 s; log %s", logPath)
		}
	}
	sctx, cancel := context.WithCancel(context.Background())
	m.stopSampling, m.sampled = cancel, make(chan struct{})
	go m.sample(sctx)
	return m, nil
}

// sample reads the manager's RSS every 100 ms from /proc, and its heap every 5 s from its metrics
// endpoint, until ctx ends. A scrape is not free for the manager (it gathers and gzips every
// series; at N=1000 a heap profile found 4 MB held inside one): every 500 ms was far more than
// a Prometheus scraping every 15 to 60 s asks. RSS, the goal, is read without touching the manager.
func (m *managerProcess) sample(ctx context.Context) {
	defer close(m.sampled)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		rss, hwm, err := procMemory(m.cmd.Process.Pid)
		var heap int64 = -1
		if i%50 == 0 {
			if body, err := m.scrape(); err == nil {
				if v, ok := metricValue(body, "go_memstats_heap_inuse_bytes", ""); ok {
					heap = int64(v)
				}
			}
		}
		m.mu.Lock()
		if err == nil {
			m.mem.rss, m.mem.hwm = rss, hwm
			m.mem.peakRSS = max(m.mem.peakRSS, rss)
		}
		if heap >= 0 {
			m.mem.heap = heap
			m.mem.peakHeap = max(m.mem.peakHeap, heap)
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-m.exited:
			return
		case <-tick.C:
		}
	}
}

// memory returns the latest samples and peaks.
func (m *managerProcess) memory() memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mem
}

// settleMemory forces a fresh heap and RSS sample and resets the peaks to them: the baseline.
func (m *managerProcess) resetPeaks() memory {
	rss, hwm, _ := procMemory(m.cmd.Process.Pid)
	var heap int64
	if body, err := m.scrape(); err == nil {
		if v, ok := metricValue(body, "go_memstats_heap_inuse_bytes", ""); ok {
			heap = int64(v)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mem = memory{rss: rss, peakRSS: rss, hwm: hwm, heap: heap, peakHeap: heap}
	return m.mem
}

// scrape returns the manager's Prometheus metrics text.
func (m *managerProcess) scrape() ([]byte, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + m.metricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// metric returns the sum of the samples of name whose labels contain labels ("" for all).
func (m *managerProcess) metric(name, labels string) (float64, error) {
	body, err := m.scrape()
	if err != nil {
		return 0, err
	}
	v, _ := metricValue(body, name, labels)
	return v, nil
}

// idle waits until the controller has run at least minReconciles reconciles in total and its
// queue is empty with no worker busy, twice in a row 500 ms apart.
func (m *managerProcess) idle(ctx context.Context, minReconciles float64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	quiet := 0
	for {
		body, err := m.scrape()
		if err == nil {
			total, _ := metricValue(body, "controller_runtime_reconcile_total", `controller="ucdeployment"`)
			depth, _ := metricValue(body, "workqueue_depth", `name="ucdeployment"`)
			active, _ := metricValue(body, "controller_runtime_active_workers", `controller="ucdeployment"`)
			if total >= minReconciles && depth == 0 && active == 0 {
				quiet++
			} else {
				quiet = 0
			}
			if quiet >= 2 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the manager did not go idle within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-m.exited:
			return fmt.Errorf("the manager exited (%v); log %s:\n%s", m.waitErr, m.logPath, tailFile(m.logPath, 20))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM, waits up to 20 s, then kills the process group.
func (m *managerProcess) stop() error {
	if m.stopSampling != nil {
		m.stopSampling()
		<-m.sampled
	}
	select {
	case <-m.exited:
		return nil
	default:
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-m.exited:
		return nil
	case <-time.After(20 * time.Second):
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.exited
	return fmt.Errorf("the manager ignored SIGTERM for 20 s and was killed")
}

// procMemory reads VmRSS and VmHWM of pid in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		for _, f := range []struct {
			key string
			dst *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &hwm}} {
			if v, ok := strings.CutPrefix(line, f.key); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				*f.dst = kb * 1024
			}
		}
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS")
	}
	return rss, hwm, nil
}

// metricValue sums the samples of metric name (exactly, not its _bucket, _sum ... series) whose
// label text contains labels.
func metricValue(body []byte, name, labels string) (float64, bool) {
	var sum float64
	found := false
	for line := range strings.SplitSeq(string(body), "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		if labels != "" && !strings.Contains(rest, labels) {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tailFile returns at most the last n lines of a file.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// CPU is the CPU time (user + system) processes spent during a phase, in seconds.
type CPU struct {
	// Manager is the ucdeploy manager process (zero in phases without it).
	Manager float64 `json:"manager"`
	// APIServer and Etcd are the lab's control plane.
	APIServer float64 `json:"apiServer"`
	Etcd      float64 `json:"etcd"`
	// Bench is this process: the harness (creators, stand-in, informers, proxies) and, in the
	// floor and ingress-shim phases, the system under test itself.
	Bench float64 `json:"bench"`
}

// cpuClock samples the CPU time of the processes of a CPU.
type cpuClock struct {
	manager, apiServer, etcd, bench int // pids; 0 when absent
}

// controlPlanePIDs finds this process's kube-apiserver and etcd children.
func controlPlanePIDs() (apiServer, etcd int) {
	entries, _ := os.ReadDir("/proc")
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, ppid, _, err := procStat(pid)
		if err != nil || ppid != self {
			continue
		}
		switch comm {
		case "kube-apiserver":
			apiServer = pid
		case "etcd":
			etcd = pid
		}
	}
	return apiServer, etcd
}

// read returns the CPU seconds of each process so far.
func (c cpuClock) read() CPU {
	secs := func(pid int) float64 {
		if pid == 0 {
			return 0
		}
		_, _, ticks, err := procStat(pid)
		if err != nil {
			return 0
		}
		return float64(ticks) / clockTicks
	}
	return CPU{Manager: secs(c.manager), APIServer: secs(c.apiServer), Etcd: secs(c.etcd), Bench: secs(c.bench)}
}

// Sub returns c minus before.
func (c CPU) Sub(before CPU) CPU {
	return CPU{Manager: c.Manager - before.Manager, APIServer: c.APIServer - before.APIServer, Etcd: c.Etcd - before.Etcd, Bench: c.Bench - before.Bench}
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// procStat reads the command name, parent pid and utime+stime (in clock ticks) of pid.
func procStat(pid int) (comm string, ppid int, ticks int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, 0, err
	}
	s := string(data)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return "", 0, 0, errors.New("malformed stat")
	}
	comm = s[open+1 : closing]
	f := strings.Fields(s[closing+1:])
	// f[0] is the state (field 3); ppid is field 4, utime 14, stime 15.
	if len(f) < 13 {
		return "", 0, 0, errors.New("short stat")
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return comm, ppid, ut + st, nil
}
