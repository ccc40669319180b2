package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic replaces path with data, mode 0600: it writes a temporary file in the same
// directory, syncs it, renames it over path and syncs the directory, so a reader sees the old
// content or the new, never a part. It refuses a path that is a symbolic link, so that a link
// planted in the directory cannot redirect the key elsewhere, and a directory that is one.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := refuseSymlink(dir); err != nil {
		return err
	}
	if err := refuseSymlink(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	return syncDir(dir)
}

// refuseSymlink returns an error when path is a symbolic link, and fs.ErrNotExist (wrapped) when
// it does not exist.
func refuseSymlink(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symbolic link: refusing to write through it", path)
	}
	return nil
}

// mkdirPrivate creates dir (mode 0700) and its parents, refusing when dir is a symbolic link.
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return refuseSymlink(dir)
}
