package bench

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

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
	return CPU{Manager: cpuSeconds(c.manager), APIServer: cpuSeconds(c.apiServer), Etcd: cpuSeconds(c.etcd), Bench: cpuSeconds(c.bench)}
}

// cpuSeconds returns the CPU seconds process pid has spent so far; 0 for pid 0 or a process
// that is gone.
func cpuSeconds(pid int) float64 {
	if pid == 0 {
		return 0
	}
	_, _, ticks, err := procStat(pid)
	if err != nil {
		return 0
	}
	return float64(ticks) / clockTicks
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
