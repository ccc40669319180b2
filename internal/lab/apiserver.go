package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// apiServerReadyTimeout bounds the wait for a restarted API server to serve the lab's kinds.
const apiServerReadyTimeout = 60 * time.Second

// StopAPIServer stops kube-apiserver. etcd keeps running and keeps every object; every client
// keeps its configuration and sees connection errors until StartAPIServer.
//
// envtest deletes a temporary certificate directory on stop and would start again with a new
// serving CA that no client trusts; the first stop therefore moves the API server to a
// certificate directory in the lab directory, with the same certificates and keys.
func (l *Lab) StopAPIServer() error {
	l.ctl.mu.Lock()
	defer l.ctl.mu.Unlock()
	api := l.env.ControlPlane.APIServer
	if api == nil {
		return errors.New("the lab has no API server")
	}
	keep := filepath.Join(l.Dir, "kube-apiserver")
	if api.CertDir != keep {
		if err := copyFiles(api.CertDir, keep); err != nil {
			return fmt.Errorf("keeping the API server's certificates: %w", err)
		}
	}
	start := time.Now()
	err := api.Stop()
	api.CertDir = keep // Stop forgets a temporary directory even when it fails
	if err != nil {
		return fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	l.opts.Log("kube-apiserver stopped in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// StartAPIServer starts kube-apiserver again after StopAPIServer, on the same address with the
// same certificates and client CA, and waits until it serves UCDeployments and Certificates.
func (l *Lab) StartAPIServer(ctx context.Context) error {
	l.ctl.mu.Lock()
	defer l.ctl.mu.Unlock()
	api := l.env.ControlPlane.APIServer
	before := api.SecureServing.URL("https", "/").String()
	start := time.Now()
	if err := api.Start(); err != nil {
		return fmt.Errorf("starting kube-apiserver again: %w", err)
	}
	if after := api.SecureServing.URL("https", "/").String(); after != before {
		return fmt.Errorf("kube-apiserver came back on %s, not %s", after, before)
	}
	ctx, cancel := context.WithTimeout(ctx, apiServerReadyTimeout)
	defer cancel()
	var last error
	err := poll(ctx, 100*time.Millisecond, nil, func() (bool, error) {
		last = l.Client.List(ctx, &v1alpha1.UCDeploymentList{}, client.Limit(1))
		if last == nil {
			last = l.Client.List(ctx, &cmapi.CertificateList{}, client.Limit(1))
		}
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver restarted but does not serve the lab's kinds: %w", errors.Join(err, last))
	}
	l.opts.Log("kube-apiserver serving again in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// copyFiles copies the regular files of dir src into dir dst, which it creates.
func copyFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFile(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
