package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const (
	// gcReadyLine is what kube-controller-manager logs (at the default verbosity) once the garbage
	// collector's monitors have synced, or its initial sync timed out, and its workers run.
	gcReadyLine = "Proceeding to collect garbage"
	// gcStartTimeout bounds the wait for gcReadyLine. The collector's own initial sync gives up
	// after 30 s and proceeds anyway, so this is well above that.
	gcStartTimeout = 60 * time.Second
	// gcStopTimeout is how long kube-controller-manager gets to exit after SIGTERM before SIGKILL.
	gcStopTimeout = 10 * time.Second
)

// startGarbageCollector runs kube-controller-manager with only the garbage collector against the
// lab's API server, as a child process that cannot outlive the lab or this process.
//
// The collector reads discovery when it starts and then every 30 s (a constant in
// kube-controller-manager): the lab's CRDs are installed before it starts, so they are watched
// at once, but a CRD installed later is only garbage-collected after the next discovery pass.
func startGarbageCollector(ctx context.Context, l *Lab) error {
	assets, err := assetsDir()
	if err != nil {
		return err
	}
	bin := filepath.Join(assets, "kube-controller-manager")
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("binary kube-controller-manager missing in %s: run `make envtest-bins` (hack/envtest/build.sh) first", assets)
	}
	_, kubeconfig, err := l.AddUser("kube-controller-manager", "system:masters")
	if err != nil {
		return err
	}
	start := time.Now()
	kcm, err := l.startChild("kube-controller-manager (garbage collector)", filepath.Join(l.Dir, "kube-controller-manager.log"),
		nil, gcStopTimeout, bin,
		"--kubeconfig="+kubeconfig,
		"--controllers=garbagecollector",
		"--leader-elect=false",
		"--use-service-account-credentials=false",
		// No serving at all: no port to collide with, and no delegated authentication or
		// authorization against the API server, so no --authentication-kubeconfig and
		// --authorization-kubeconfig are needed.
		"--secure-port=0",
	)
	if err != nil {
		return err
	}
	if err := kcm.waitUntil(ctx, gcStartTimeout, "log "+gcReadyLine, func() bool { return kcm.logContains(gcReadyLine) }); err != nil {
		return err
	}
	l.opts.Log("garbage collector running in %s", time.Since(start).Round(time.Millisecond))
	return nil
}
