package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// exportMode is the mode of every file `ucdeploy export` creates: readable by the user alone,
// since a PFX holds a private key and the scripts are run elevated.
const exportMode fs.FileMode = 0o600

// writeNewFile writes data to path as a new file of mode exportMode. Without replace it creates
// the file with O_EXCL, so it refuses an existing file and a symlink (even a dangling one) and
// never writes through either. With replace it writes a new temporary file in the same directory
// and renames it over path: a symlink at path is itself replaced, never its target, and the old
// file's owner and mode are not kept. A directory at path is refused either way.
func writeNewFile(path string, data []byte, replace bool) error {
	if replace {
		return replaceFile(path, data)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, exportMode)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists (or is a symlink): export does not overwrite files; remove it or pass --force to replace it", path)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	return writeAndClose(f, data)
}

// replaceFile writes data to a temporary file beside path and renames it over path.
func replaceFile(path string, data []byte) error {
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	// os.CreateTemp opens with O_EXCL and mode 0600, under a name nobody else chose.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating a temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	if err := writeAndClose(f, data); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("replacing %s: %w", path, err), os.Remove(tmp))
	}
	return nil
}

// writeAndClose writes data to f, flushes it to disk and closes it.
func writeAndClose(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return nil
}
