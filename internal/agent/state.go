package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Installed is one certificate this agent installed: the only kind it ever removes.
type Installed struct {
	// Role is the role it was installed for.
	Role string `json:"role"`
	// Thumbprint is its leaf's SHA-1, upper-case hex.
	Thumbprint string `json:"thumbprint"`
	// Revision is cert-manager's revision, 0 when unknown.
	Revision int `json:"revision,omitempty"`
	// FriendlyName is the name it was given.
	FriendlyName string `json:"friendlyName"`
	// NotAfter is its expiry.
	NotAfter time.Time `json:"notAfter"`
	// InstalledAt is when the agent first installed it.
	InstalledAt time.Time `json:"installedAt"`
}

// RoleState is what the agent remembers about a role across restarts, in --state-dir.
type RoleState struct {
	// Bound is the thumbprint whose post-check passed last, "" before the first.
	Bound string `json:"bound,omitempty"`
	// Installed are the certificates the agent installed and has not removed, oldest first.
	Installed []Installed `json:"installed"`
}

// find returns the index of thumbprint among s.Installed, or -1.
func (s RoleState) find(thumbprint string) int {
	return slices.IndexFunc(s.Installed, func(i Installed) bool { return i.Thumbprint == thumbprint })
}

// StateStore keeps each role's RoleState in a JSON file of its own under a directory.
type StateStore struct {
	// Dir is --state-dir.
	Dir string
	// Deployment prefixes the file names, so that agents of two deployments can share Dir.
	Deployment string
}

// path is role's state file.
func (st StateStore) path(role string) string {
	return filepath.Join(st.Dir, st.Deployment+"."+role+".json")
}

// Load returns role's state, empty when there is none yet.
func (st StateStore) Load(role string) (RoleState, error) {
	var s RoleState
	b, err := os.ReadFile(st.path(role))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read the state of role %s: %w", role, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read the state of role %s from %s: %w", role, st.path(role), err)
	}
	return s, nil
}

// Save writes role's state atomically.
func (st StateStore) Save(role string, s RoleState) error {
	if err := mkdirPrivate(st.Dir); err != nil {
		return fmt.Errorf("save the state of role %s: %w", role, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("save the state of role %s: %w", role, err)
	}
	if err := WriteFileAtomic(st.path(role), append(b, '\n')); err != nil {
		return fmt.Errorf("save the state of role %s: %w", role, err)
	}
	return nil
}
