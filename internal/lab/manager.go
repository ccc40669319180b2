package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/ucdeploy/ucdeploy/internal/manager"
)

// managerUser is the API user the manager runs as when Options.ManagerUser is set.
const managerUser = "ucdeploy-manager"

// startManager runs the ucdeploy manager in process until the lab stops.
func startManager(ctx context.Context, l *Lab) error {
	cfg := rest.CopyConfig(l.Config)
	if l.opts.ManagerUser {
		var err error
		if cfg, err = l.leastPrivilegeConfig(ctx); err != nil {
			return err
		}
	}
	if l.opts.ManagerTransport != nil {
		cfg.Wrap(l.opts.ManagerTransport)
	}
	mgr, err := manager.New(cfg, *l.opts.Manager)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	mctx, cancel := context.WithCancel(ctx)
	go func() { done <- mgr.Start(mctx) }()
	l.onStop(func() error { cancel(); return <-done })
	if !mgr.GetCache().WaitForCacheSync(mctx) {
		return fmt.Errorf("the manager's cache did not sync")
	}
	l.opts.Log("ucdeploy manager running (as %s)", apiUser(l.opts.ManagerUser))
	return nil
}

// apiUser names the API user a manager runs as: the least-privilege user or the administrator.
func apiUser(leastPrivilege bool) string {
	if leastPrivilege {
		return managerUser
	}
	return "admin"
}

// leastPrivilegeConfig creates the manager's user and binds it to the generated ClusterRole of
// config/rbac and nothing else, so that a missing or excess permission shows in the tests.
func (l *Lab) leastPrivilegeConfig(ctx context.Context) (*rest.Config, error) {
	data, err := os.ReadFile(filepath.Join(l.Root, "config", "rbac", "role.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading the generated ClusterRole: %w", err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.UnmarshalStrict(data, role); err != nil {
		return nil, fmt.Errorf("parsing config/rbac/role.yaml: %w", err)
	}
	if err := l.Client.Create(ctx, role); err != nil {
		return nil, fmt.Errorf("creating ClusterRole %s: %w", role.Name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: managerUser},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: managerUser}},
	}
	if err := l.Client.Create(ctx, binding); err != nil {
		return nil, fmt.Errorf("creating ClusterRoleBinding: %w", err)
	}
	cfg, _, err := l.AddUser(managerUser)
	return cfg, err
}
