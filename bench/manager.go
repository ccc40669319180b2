package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ucdeploy/ucdeploy/internal/lab"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

// controller-runtime's reconcile counter, and the label that selects the UCDeployment controller's
// series of its metrics.
const (
	metricReconciles = "controller_runtime_reconcile_total"
	labelsController = `controller="ucdeployment"`
)

// benchManager is a ucdeploy manager the benchmark measures: the ucdeploy binary in a process of
// its own, exactly as in production, with its metrics on a loopback port and its memory sampled.
type benchManager struct {
	*lab.Manager

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

// startManager starts the ucdeploy binary through the lab, its writes counted by e.managerWrites
// (syncPeriod 0 keeps the benchmark's 10 h; configure, if given, changes the other options), and
// waits until it has made a sentinel UCDeployment Ready, so that its caches are synced and its
// workers running; the sentinel's writes are over before it returns.
func (e *env) startManager(ctx context.Context, tag, logName string, syncPeriod time.Duration, configure ...func(*manager.Options)) (*benchManager, error) {
	opts := lab.DefaultManagerOptions()
	opts.ProbeAddr, opts.MaxConcurrentReconciles, opts.SyncPeriod = "0", e.cfg.Concurrency, 10*time.Hour
	if syncPeriod > 0 {
		opts.SyncPeriod = syncPeriod
	}
	for _, c := range configure {
		c(&opts)
	}
	lm, err := e.lab.StartManager(ctx, lab.ManagerOptions{
		Options: opts, ServeMetrics: true, Transport: e.managerWrites.wrap,
		LogPath: filepath.Join(e.dir, "manager-"+logName+".log"), Binary: e.bin,
		Args: append([]string{"--zap-log-level=error"}, e.cfg.ManagerArgs...), Env: e.cfg.ManagerEnv,
	})
	if err != nil {
		return nil, err
	}
	m := &benchManager{Manager: lm}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := m.Poll(wctx, 100*time.Millisecond, func() (bool, error) { _, err := m.scrape(); return err == nil, nil }); err != nil {
		return nil, errors.Join(fmt.Errorf("the manager's metrics endpoint did not answer: %w", err), m.Stop())
	}
	sctx, cancelSampling := context.WithCancel(context.Background())
	m.stopSampling, m.sampled = cancelSampling, make(chan struct{})
	go m.sample(sctx)
	if err := e.sentinel(ctx, tag); err != nil {
		return nil, errors.Join(fmt.Errorf("the manager did not make its sentinel Ready: %w (log %s)", err, m.LogPath), m.stop())
	}
	return m, nil
}

// sample reads the manager's RSS every 100 ms from /proc, and its heap every 5 s from its metrics
// endpoint, until ctx ends. A scrape is not free for the manager (it gathers and gzips every
// series; at N=1000 a heap profile found 4 MB held inside one): every 500 ms was far more than
// a Prometheus scraping every 15 to 60 s asks. RSS, the goal, is read without touching the manager.
func (m *benchManager) sample(ctx context.Context) {
	defer close(m.sampled)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		rss, hwm, err := procMemory(m.Pid())
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
		case <-m.Exited():
			return
		case <-tick.C:
		}
	}
}

// memory returns the latest samples and peaks.
func (m *benchManager) memory() memory {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mem
}

// resetPeaks forces a fresh heap and RSS sample and resets the peaks to them: the baseline.
func (m *benchManager) resetPeaks() memory {
	rss, hwm, _ := procMemory(m.Pid())
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
func (m *benchManager) scrape() ([]byte, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(m.MetricsURL())
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
func (m *benchManager) metric(name, labels string) (float64, error) {
	body, err := m.scrape()
	if err != nil {
		return 0, err
	}
	v, _ := metricValue(body, name, labels)
	return v, nil
}

// idle waits until the controller has run at least minReconciles reconciles in total and its
// queue is empty with no worker busy, twice in a row 500 ms apart.
func (m *benchManager) idle(ctx context.Context, minReconciles float64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	quiet := 0
	err := m.Poll(ctx, 500*time.Millisecond, func() (bool, error) {
		body, err := m.scrape()
		if err != nil {
			return false, nil
		}
		total, _ := metricValue(body, metricReconciles, labelsController)
		depth, _ := metricValue(body, "workqueue_depth", `name="ucdeployment"`)
		active, _ := metricValue(body, "controller_runtime_active_workers", labelsController)
		if total >= minReconciles && depth == 0 && active == 0 {
			quiet++
		} else {
			quiet = 0
		}
		return quiet >= 2, nil
	})
	if err != nil {
		return fmt.Errorf("the manager did not go idle within %s: %w", timeout, err)
	}
	return nil
}

// stop stops the sampler and the manager.
func (m *benchManager) stop() error {
	if m.stopSampling != nil {
		m.stopSampling()
		<-m.sampled
	}
	return m.Stop()
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
